/**
 * Connections that hold a slot without saying anything. Issue 10, item 4: 900
 * connections (silent, half an HTTP/2 preface, half-sent HTTP/1.1 headers)
 * stayed open for 65 s, and ones still being sniffed never reached a timeout.
 * Here headers_timeout is 500 ms and idle_timeout 600 ms, so the suite is quick.
 */
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { EventType } from "../../gen/verify/v1/verify_pb.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { WatchRecorder } from "../support/watch.js";
import { silentConnections, stalledOpening, waitClosed } from "./support/attacks.js";
import { CheckProbe } from "./support/probe.js";
import { H2_ERROR, PREFACE, RawH2Connection } from "./support/raw-h2.js";

const HEADERS_TIMEOUT_MS = 500;
const IDLE_TIMEOUT_MS = 600;
/** Timers fire late on a busy machine; what matters is that they fire. */
const SLACK_MS = 1_500;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { server: { headers_timeout: `${HEADERS_TIMEOUT_MS}ms`, idle_timeout: `${IDLE_TIMEOUT_MS}ms` } } });
});
afterAll(async () => {
  await server?.close();
});

/** Milliseconds until the server closes `socket` (read, so that its closing is not queued behind unread bytes). */
function closedAfter(socket: net.Socket, since = performance.now()): Promise<number> {
  socket.resume();
  return new Promise((resolve) => socket.once("close", () => resolve(performance.now() - since)));
}

test("900 stalled connections (silent, half an HTTP/2 preface, half a request's headers) are all closed at headers_timeout while a Check keeps answering", async () => {
  const probe = await CheckProbe.start({ url: server.url });
  const sockets = await silentConnections(server.app.port, 900, stalledOpening);
  const stillOpen = await waitClosed(sockets, HEADERS_TIMEOUT_MS + SLACK_MS);
  const stats = await probe.stop();
  for (const socket of sockets) socket.destroy();

  expect(stillOpen).toBe(0);
  expect(stats.failures).toEqual([]);
  expect(stats.max, JSON.stringify(stats)).toBeLessThan(2_000);
});

test("an HTTP/1.1 client sending its headers a line at a time is answered 408 and closed at headers_timeout", async () => {
  const socket = net.connect(server.app.port, "127.0.0.1");
  socket.on("error", () => {});
  let answer = "";
  socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
  const closed = closedAfter(socket);
  socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const drip = setInterval(() => socket.write("X-Slow: yes\r\n"), 100);
  const after = await closed;
  clearInterval(drip);
  expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  expect(after).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
});

test("an HTTP/2 client that sends the preface's first line but no SETTINGS is closed at headers_timeout", async () => {
  const socket = net.connect(server.app.port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  const closed = closedAfter(socket);
  socket.write(PREFACE);
  expect(await closed).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
});

test("an HTTP/2 connection with no open stream is sent GOAWAY NO_ERROR and closed after idle_timeout", async () => {
  const client = await RawH2Connection.connect(server.app.port);
  await client.serverSettings();
  const since = performance.now();
  await client.closed;
  expect(performance.now() - since).toBeGreaterThan(IDLE_TIMEOUT_MS - 100);
  expect(client.goaway()?.code).toBe(H2_ERROR.NO_ERROR);
});

test("an HTTP/2 connection whose only stream is a quiet Watch is not idle: it outlives idle_timeout", async () => {
  const { verification } = await server.grpc.start({ phoneNumber: "+12025550401" });
  const watch = WatchRecorder.connect(server.grpc.watch({ verificationId: verification!.id }));
  await watch.waitFor(EventType.SNAPSHOT);
  await sleep(IDLE_TIMEOUT_MS + 500);
  // Still open: the verification's end reaches it.
  await server.connectH1.cancel({ verificationId: verification!.id });
  await watch.waitFor(EventType.CANCELED);
  expect(await watch.ended(2_000)).toEqual({ ok: true });
});

test("an HTTP/1.1 keep-alive connection is closed after idle_timeout (and Node's one-second grace) without a request", async () => {
  const socket = net.connect(server.app.port, "127.0.0.1");
  socket.on("error", () => {});
  let answer = "";
  const answered = new Promise<void>((resolve) =>
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
      if (answer.includes("\r\n\r\n")) resolve();
    }),
  );
  socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
  await answered;
  const after = await closedAfter(socket);
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  expect(after).toBeGreaterThan(IDLE_TIMEOUT_MS - 100);
  // Node 24 closes HTTP/1.1 keep-alive connections keepAliveTimeoutBuffer (1 s) after the timeout it announces, for clients racing it.
  expect(after).toBeLessThan(IDLE_TIMEOUT_MS + 1_000 + SLACK_MS);
});
