/**
 * What one HTTP/2 connection may hold. Issue 10, item 3: the server
 * advertised maxConcurrentStreams 4294967295, and 5,000 idle streams on one
 * connection stalled Checks for ~10 s and added ~200 MB.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";
import { CHECK_PATH } from "./support/attacks.js";
import { CheckProbe } from "./support/probe.js";
import { H2_ERROR, RawH2Connection, SETTING } from "./support/raw-h2.js";

describe("with the default limits", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  test("the server advertises at most 100 concurrent streams and a 16 KiB header list", async () => {
    const client = await RawH2Connection.connect(server.app.port);
    const settings = await client.serverSettings();
    expect(settings.get(SETTING.MAX_CONCURRENT_STREAMS)).toBe(100);
    expect(settings.get(SETTING.MAX_HEADER_LIST_SIZE)).toBe(16_384);
    client.destroy();
  });

  test("5,000 idle streams on one connection: 100 are taken, the rest refused, the connection closed, and a Check elsewhere keeps answering", async () => {
    const probe = await CheckProbe.start({ url: server.url });
    const heapBefore = process.memoryUsage().heapUsed;
    const attacker = await RawH2Connection.connect(server.app.port);
    // HEADERS without END_STREAM and never a body: each stream waits for its request for ever.
    for (let i = 0; i < 5_000; i++) attacker.request(CHECK_PATH);
    await attacker.flush();
    await Promise.race([attacker.closed, new Promise((resolve) => setTimeout(resolve, 3_000))]);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const stats = await probe.stop();

    const refused = attacker.resets().filter((reset) => reset.code === H2_ERROR.REFUSED_STREAM);
    expect(refused.length).toBeGreaterThan(0);
    // The streams the server took are the first 100; every refusal is of a later one.
    expect(Math.min(...refused.map((reset) => reset.streamId))).toBe(2 * 100 + 1);
    // Opening past the cap ends the connection: nghttp2 closes it once the refusals it has queued pass its flood limit
    // (and a client that has acknowledged the SETTINGS gets PROTOCOL_ERROR for its 101st stream).
    expect(attacker.isClosed).toBe(true);
    expect(attacker.goaway()).toBeDefined();
    expect(stats.failures).toEqual([]);
    expect(stats.max, JSON.stringify(stats)).toBeLessThan(2_000);
    // Before: ~200 MB for 5,000 streams. A loose bound, since the heap is measured without a forced GC.
    expect(heapGrowth).toBeLessThan(64 * 1024 * 1024);
  });
});

describe("with a 4 KiB header list", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { server: { http2: { max_header_list_size: 4_096 } } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("a request whose headers are larger is reset with ENHANCE_YOUR_CALM, and its connection stays usable", async () => {
    const client = await RawH2Connection.connect(server.app.port);
    // The limit binds once the client has acknowledged the server's SETTINGS (RFC 9113 §6.5.3); this client acknowledges at once.
    await client.serverSettings();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const oversized = client.request(CHECK_PATH, { endStream: true, extraHeaders: { "x-padding": "a".repeat(6_000) } });
    await client.flush();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(client.resets()).toContainEqual({ streamId: oversized, code: H2_ERROR.ENHANCE_YOUR_CALM });
    expect(client.isClosed).toBe(false);
    expect(client.goaway()).toBeUndefined();
    client.destroy();
  });

  test("over HTTP/1.1 the same headers are answered 431", async () => {
    const response = await fetch(`${server.url}/healthz`, { headers: { "x-padding": "a".repeat(6_000) } });
    expect(response.status).toBe(431);
  });
});
