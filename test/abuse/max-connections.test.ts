/**
 * More connections than the server will hold. Beyond `server.max_connections`
 * new connections are closed as they are accepted, so a flood of them cannot
 * take the file descriptors and memory the served ones need; connections
 * already open keep being answered, and once the flood leaves the port
 * accepts again.
 */
import type net from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, expect, test } from "vitest";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { silentConnections, waitClosed } from "./support/attacks.js";
import { CheckProbe } from "./support/probe.js";

const MAX_CONNECTIONS = 50;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { server: { max_connections: MAX_CONNECTIONS } } });
});
afterAll(async () => {
  await server?.close();
});

test("past max_connections new connections are closed at once, the open ones keep being answered, and the port accepts again when they leave", async () => {
  // The probe's connection is one of the fifty.
  const probe = await CheckProbe.start({ url: server.url });
  const holders = await silentConnections(server.app.port, MAX_CONNECTIONS - 1, () => Buffer.alloc(0));
  let extra: net.Socket[] = [];
  try {
    extra = await silentConnections(server.app.port, 200, () => Buffer.alloc(0));
    // Closed by the server right after accept, not left waiting for a timeout (headers_timeout is 10 s here).
    expect(await waitClosed(extra, 1_000)).toBe(0);
    expect(await waitClosed(holders, 0)).toBe(MAX_CONNECTIONS - 1);
    // A client arriving now is refused too.
    const refused = createClient(VerificationService, createGrpcTransport({ baseUrl: server.url }));
    await expect(refused.get({ verificationId: "ver_none" }, { timeoutMs: 2_000 })).rejects.toThrow();
  } finally {
    for (const socket of [...holders, ...extra]) socket.destroy();
  }
  const stats = await probe.stop();
  expect(stats.failures).toEqual([]);
  expect(stats.answered).toBeGreaterThan(0);
  expect(stats.max, JSON.stringify(stats)).toBeLessThan(2_000);

  // The holders are gone: there is room again.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const { verification } = await server.connectH1.start({ phoneNumber: "+12025550501" });
  expect(verification?.id).toMatch(/^ver_/);
});
