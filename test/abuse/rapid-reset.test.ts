/**
 * HTTP/2 rapid reset (CVE-2023-44487): HEADERS and at once RST_STREAM, over
 * and over, so the server starts work for streams nobody waits for. Issue 10,
 * item 2: 20,000 of them over 20 connections in 13 s left every other client
 * unanswered for ~40 s, and no GOAWAY was sent (nghttp2's own limit, 1,000
 * resets per connection, was never reached).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";
import { CHECK_PATH, rapidReset } from "./support/attacks.js";
import { CheckProbe } from "./support/probe.js";
import { H2_ERROR, RawH2Connection } from "./support/raw-h2.js";

const RESETS_PER_SECOND = 50;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { server: { http2: { max_resets_per_second: RESETS_PER_SECOND } } } });
});
afterAll(async () => {
  await server?.close();
});

test("a connection resetting more streams than max_resets_per_second gets GOAWAY ENHANCE_YOUR_CALM and is closed", async () => {
  const attacker = await RawH2Connection.connect(server.app.port);
  for (let i = 0; i < 10 * RESETS_PER_SECOND; i++) attacker.reset(attacker.request(CHECK_PATH), H2_ERROR.CANCEL);
  await attacker.flush();
  await attacker.closed;
  expect(attacker.goaway()?.code).toBe(H2_ERROR.ENHANCE_YOUR_CALM);
});

test("a connection that cancels a few calls, within the limit, stays open", async () => {
  const client = await RawH2Connection.connect(server.app.port);
  for (let i = 0; i < RESETS_PER_SECOND / 2; i++) client.reset(client.request(CHECK_PATH), H2_ERROR.CANCEL);
  await client.flush();
  await sleep(300);
  expect(client.goaway()).toBeUndefined();
  expect(client.isClosed).toBe(false);
  client.destroy();
});

test("under rapid reset from 10 connections a Check on another connection keeps answering, and every attacking connection is sent away", async () => {
  const probe = await CheckProbe.start({ url: server.url });
  const attack = await rapidReset({ port: server.app.port, connections: 10, streamsPerConnection: 500, maxMs: 3_000 });
  const stats = await probe.stop();

  expect(stats.failures).toEqual([]);
  expect(stats.answered).toBeGreaterThan(0);
  // Behaviour, not a benchmark: before the fix these waited tens of seconds.
  expect(stats.max, JSON.stringify(stats)).toBeLessThan(2_000);
  expect(attack.stillOpen).toBe(0);
  expect(new Set(attack.closings.map((goaway) => goaway?.code))).toEqual(new Set([H2_ERROR.ENHANCE_YOUR_CALM]));
});
