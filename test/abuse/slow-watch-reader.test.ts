/**
 * Watch streams whose clients never read. Issue 10, item 3: 2,000 of them
 * pushed Check latency to 0.3–1.7 s. connect-node waits for a stream to
 * drain before it takes the next message, so the events of a Watch nobody
 * reads used to pile up, unseen and unbounded, in the Watch's queue; now
 * every response is held to `server.max_buffered_bytes` unread bytes
 * (src/server/backpressure.ts) and a stream past it is reset with
 * ENHANCE_YOUR_CALM, which also ends its Watch on the server.
 *
 * The clients are node:http2 sessions that advertise a tiny stream window
 * and pause every stream, so the server can send almost nothing and what it
 * writes stays on its side, where it is counted.
 */
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EventType, WatchRequestSchema } from "../../gen/verify/v1/verify_pb.js";
import { eventually } from "../support/eventually.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { WatchRecorder } from "../support/watch.js";
import { unreadWatch } from "./support/attacks.js";
import { CheckProbe } from "./support/probe.js";

const MAX_BUFFERED_BYTES = 4_096;
const { NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    config: {
      server: { max_buffered_bytes: MAX_BUFFERED_BYTES },
      // Wrong codes are the events here: enough of them before the verification locks.
      policy: { max_check_attempts: 100 },
    },
  });
});
afterAll(async () => {
  await server?.close();
});

/** The Watch streams open on the server now (the verifyd_watch_streams gauge). */
async function openWatchStreams(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = /^verifyd_watch_streams(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
  if (value === undefined) throw new Error("no verifyd_watch_streams in /metrics");
  return Number(value);
}

/** A session whose streams may receive at most `windowBytes` before the client reads. */
function stingySession(windowBytes = 256): http2.ClientHttp2Session {
  const session = http2.connect(server.url, { settings: { initialWindowSize: windowBytes } });
  session.on("error", () => {});
  return session;
}

async function newVerification(phoneNumber: string): Promise<{ id: string; request: Uint8Array }> {
  const { verification } = await server.connectH1.start({ phoneNumber });
  const id = verification!.id;
  return { id, request: toBinary(WatchRequestSchema, create(WatchRequestSchema, { verificationId: id })) };
}

test("a Watch whose client does not read is reset with ENHANCE_YOUR_CALM once more than max_buffered_bytes wait unread, and the server lets it go", async () => {
  const verification = await newVerification("+12025550601");
  const session = stingySession();
  try {
    const stream = await unreadWatch(session, verification.request);
    const closed = new Promise<number>((resolve) => stream.once("close", () => resolve(stream.rstCode ?? -1)));
    const watchersBefore = await openWatchStreams();
    // Each wrong code is a CHECK_FAILED event of a few hundred bytes, all of them unread.
    let checks = 0;
    while (!stream.closed && checks < 80) {
      await server.connectH1.check({ verificationId: verification.id, code: "000000" });
      checks++;
    }
    expect(await closed).toBe(NGHTTP2_ENHANCE_YOUR_CALM);
    // Cut after a few KiB, not at the end of the verification.
    expect(checks).toBeLessThan(40);
    await eventually(async () => expect(await openWatchStreams()).toBe(watchersBefore - 1));
  } finally {
    session.destroy();
  }
});

test("a Watch whose client reads is never cut, however many events it is sent", async () => {
  const verification = await newVerification("+12025550603");
  const watches = [
    WatchRecorder.connect(server.grpc.watch({ verificationId: verification.id })),
    WatchRecorder.connect(server.connectH1.watch({ verificationId: verification.id })),
  ];
  for (const watch of watches) await watch.waitFor(EventType.SNAPSHOT);
  // Well past max_buffered_bytes in all.
  for (let i = 0; i < 40; i++) await server.connectH1.check({ verificationId: verification.id, code: "000000" });
  for (const watch of watches) {
    await eventually(() => expect(watch.types.filter((type) => type === EventType.CHECK_FAILED)).toHaveLength(40));
  }
  await server.connectH1.cancel({ verificationId: verification.id });
  for (const watch of watches) expect(await watch.ended(2_000)).toEqual({ ok: true });
});

test("300 Watches that never read, over 3 connections and 20 verifications, with events flowing: all are cut, Checks keep answering, and the server's memory stays bounded", async () => {
  // 15 per verification: under the per-verification cap, so every stream is open and fed.
  const verifications = await Promise.all(Array.from({ length: 20 }, (_, i) => newVerification(`+1202555${6500 + i}`)));
  const probe = await CheckProbe.start({ url: server.url });
  const heapBefore = process.memoryUsage().heapUsed;
  const sessions = Array.from({ length: 3 }, () => stingySession());
  try {
    const streams = (
      await Promise.all(
        sessions.map((session, s) => Promise.all(Array.from({ length: 100 }, (_, i) => unreadWatch(session, verifications[(s * 100 + i) % 20]!.request)))),
      )
    ).flat();
    const open = () => streams.filter((stream) => !stream.closed).length;
    expect(open()).toBe(300);
    // Every event goes to the 15 Watches of its verification; none reads a byte.
    for (let checks = 0; open() > 0 && checks < 40 * 20; checks++) {
      await server.connectH1.check({ verificationId: verifications[checks % 20]!.id, code: "000000" });
    }
    await eventually(() => expect(open()).toBe(0));
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const stats = await probe.stop();

    expect(stats.failures).toEqual([]);
    expect(stats.max, JSON.stringify(stats)).toBeLessThan(2_000);
    // 300 streams × 4 KiB is 1.2 MB of unread events at most; the rest is streams, sessions and garbage not yet collected.
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
  } finally {
    for (const session of sessions) session.destroy();
    await probe.stop();
  }
});

test("one verification takes at most 16 Watch streams per instance: the next is RESOURCE_EXHAUSTED", async () => {
  const verification = await newVerification("+12025550690");
  const watches = Array.from({ length: 16 }, () => WatchRecorder.connect(server.connectH1.watch({ verificationId: verification.id })));
  for (const watch of watches) await watch.waitFor(EventType.SNAPSHOT);

  const extra = WatchRecorder.connect(server.connectH1.watch({ verificationId: verification.id }));
  const outcome = await extra.ended(2_000);

  expect(outcome.ok).toBe(false);
  expect(ConnectError.from(outcome.ok ? undefined : outcome.error).code).toBe(Code.ResourceExhausted);
  await server.connectH1.cancel({ verificationId: verification.id });
});

describe("with idle_timeout 1 s", () => {
  let quick: TestServer;
  beforeAll(async () => {
    quick = await startTestServer({ config: { server: { idle_timeout: "1s" } } });
  });
  afterAll(async () => {
    await quick?.close();
  });

  test("a Watch whose client takes none of what waits for it (far below max_buffered_bytes) is reset after idle_timeout", async () => {
    const { verification } = await quick.connectH1.start({ phoneNumber: "+12025550604" });
    const session = http2.connect(quick.url, { settings: { initialWindowSize: 16 } });
    session.on("error", () => {});
    try {
      const stream = await unreadWatch(session, toBinary(WatchRequestSchema, create(WatchRequestSchema, { verificationId: verification!.id })));
      const since = performance.now();
      const rstCode = await new Promise<number | undefined>((resolve) => stream.once("close", () => resolve(stream.rstCode)));
      expect(rstCode).toBe(NGHTTP2_ENHANCE_YOUR_CALM);
      expect(performance.now() - since).toBeGreaterThan(900);
    } finally {
      session.destroy();
    }
  });
});
