/**
 * AdminService.WatchProviders over the wire: what it sends and when, and
 * every way it ends (the caller leaves, its deadline, the server drains),
 * plus the per-instance cap on open streams and the interval's bounds.
 */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService, type WatchProvidersResponse } from "../../gen/verify/admin/v1/admin_pb.js";
import { MAX_PROVIDER_WATCHERS } from "../../src/api/watch-providers.js";
import { eventually } from "../support/eventually.js";
import { expectConnectError } from "../support/expect-error.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { ADMIN_SCENARIO } from "./scenario.js";

/** The default interval of these servers (console.refresh_interval): short, so the suite is quick. */
const REFRESH = { console: { refresh_interval: "1s" } };

/** One open WatchProviders stream: its messages one at a time, and a way to leave. */
function openWatch(admin: Client<typeof AdminService>, request: { interval?: ReturnType<typeof durationFromMs> } = {}, options: CallOptions = {}) {
  const controller = new AbortController();
  const iterator = admin.watchProviders(request, { signal: controller.signal, ...options })[Symbol.asyncIterator]();
  return {
    async next(): Promise<{ message: WatchProvidersResponse; at: number }> {
      const result = await iterator.next();
      if (result.done) throw new Error("the stream ended");
      return { message: result.value, at: performance.now() };
    },
    /** How the stream ends: undefined when it ends cleanly, else the error. */
    async end(): Promise<ConnectError | undefined> {
      try {
        while (!(await iterator.next()).done);
        return undefined;
      } catch (error) {
        return ConnectError.from(error);
      }
    },
    leave: () => controller.abort(),
  };
}

const acceptedBy = (message: WatchProvidersResponse, provider: string) =>
  message.providers.find((info) => info.name === provider)?.stats.reduce((sum, stats) => sum + Number(stats.accepted), 0) ?? 0;

describe("WatchProviders on a running server", () => {
  let server: TestServer;
  let admin: Client<typeof AdminService>;
  beforeAll(async () => {
    server = await startTestServer({ config: [ADMIN_SCENARIO, REFRESH] });
    admin = server.client(AdminService, "connectH2");
  });
  afterAll(async () => {
    await server?.close();
  });

  test("sends what ListProviders answers at once, then again after console.refresh_interval with a new send counted", async () => {
    const began = performance.now();
    const watch = openWatch(admin);
    const first = await watch.next();
    expect(first.at - began).toBeLessThan(900);
    expect(first.message.providers.map((provider) => provider.name)).toEqual(["sim-a", "sim-b", "sim-flaky"]);
    expect(first.message.providers).toEqual((await admin.listProviders({})).providers);
    const before = acceptedBy(first.message, "sim-a");

    await server.connectH1.start({ phoneNumber: "+12025550180" });
    const second = await watch.next();
    watch.leave();

    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(acceptedBy(second.message, "sim-a")).toBe(before + 1);
    expect(Number(second.message.at!.seconds)).toBeGreaterThanOrEqual(Number(first.message.at!.seconds));
  });

  test("waits the interval the request names instead of the configured one", async () => {
    const watch = openWatch(admin, { interval: durationFromMs(2_000) });
    const first = await watch.next();
    const second = await watch.next();
    watch.leave();

    expect(second.at - first.at).toBeGreaterThanOrEqual(1_950);
  });

  test.each([
    ["under a second", 999],
    ["over a minute", 60_001],
  ])("refuses an interval %s with INVALID_ARGUMENT", async (_what, ms) => {
    const error = await openWatch(admin, { interval: durationFromMs(ms) }).end();
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.rawMessage).toMatch(/interval must be between 1s and 1m/);
  });

  test(`serves ${MAX_PROVIDER_WATCHERS} streams at once and refuses one more with RESOURCE_EXHAUSTED; the slots of streams whose callers left are free again`, async () => {
    const watches = Array.from({ length: MAX_PROVIDER_WATCHERS }, () => openWatch(admin));
    await Promise.all(watches.map((watch) => watch.next()));

    const refused = await openWatch(admin).end();
    expect(refused?.code).toBe(Code.ResourceExhausted);
    expect(refused?.rawMessage).toMatch(/at most 64 WatchProviders streams/);

    for (const watch of watches) watch.leave();
    // Each stream ended on the server when its caller left, so a new one is served.
    const again = await eventually(async () => {
      const watch = openWatch(admin);
      try {
        return await watch.next();
      } finally {
        watch.leave();
      }
    });
    expect(again.message.providers).toHaveLength(3);
  });

  test("ends at the caller's deadline with DEADLINE_EXCEEDED, sent by the server in the stream's end message", async () => {
    // Plain fetch, so the error read is the one the server wrote, not the client's own timer.
    const envelope = Buffer.alloc(5);
    envelope.writeUInt32BE(2, 1);
    const response = await fetch(`${server.url}/verify.admin.v1.AdminService/WatchProviders`, {
      method: "POST",
      headers: { "content-type": "application/connect+json", "connect-timeout-ms": "1500" },
      body: Buffer.concat([envelope, Buffer.from("{}")]),
    });
    const body = Buffer.from(await response.arrayBuffer());
    const messages: { flags: number; json: Record<string, unknown> }[] = [];
    for (let offset = 0; offset + 5 <= body.length; ) {
      const length = body.readUInt32BE(offset + 1);
      messages.push({ flags: body[offset]!, json: JSON.parse(body.subarray(offset + 5, offset + 5 + length).toString()) });
      offset += 5 + length;
    }

    // At once, and after one interval (1 s); then the deadline (1.5 s).
    expect(messages.filter((message) => message.flags === 0)).toHaveLength(2);
    expect(messages.at(-1)).toMatchObject({ flags: 2, json: { error: { code: "deadline_exceeded" } } });
  });
});

test.each(["connectH1", "connectH2", "grpc", "grpcWeb"] as const)(
  "WatchProviders over %s ends with UNAVAILABLE when the server drains, without waiting for shutdown_grace",
  async (protocol) => {
    const server = await startTestServer({ config: [ADMIN_SCENARIO, { console: { refresh_interval: "1m" } }] });
    try {
      const watch = openWatch(server.client(AdminService, protocol));
      await watch.next();

      const began = performance.now();
      await server.app.close();
      const error = await watch.end();
      expect(error?.code).toBe(Code.Unavailable);
      expect(error?.rawMessage).toMatch(/shutting down/);
      expect(performance.now() - began).toBeLessThan(2_000);
    } finally {
      await server.close();
    }
  },
);

test("WatchProviders over gRPC refuses a request interval it cannot honour before sending anything", async () => {
  const server = await startTestServer({ config: [ADMIN_SCENARIO, REFRESH] });
  try {
    await expectConnectError(
      (async () => {
        for await (const _ of server.client(AdminService, "grpc").watchProviders({ interval: durationFromMs(100) })) throw new Error("sent a message");
      })(),
      Code.InvalidArgument,
      /got 100ms/,
    );
  } finally {
    await server.close();
  }
});
