import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterEach, expect, test } from "vitest";
import { Health, type HealthCheckResponse, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { EventType, VerificationService, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { testConfigYaml } from "../support/config.js";
import { eventually } from "../support/eventually.js";
import { createGrpcJsClient } from "../support/grpc-js.js";
import { startVerifydProcess } from "../support/process.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { WatchRecorder } from "../support/watch.js";
import { E2E_SCENARIO } from "./scenario.js";

// Each test closes its own server: a closed server cannot be shared.
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

test("closing the app ends open Watch streams with UNAVAILABLE, over Connect on HTTP/1.1 and HTTP/2, gRPC-Web, and gRPC (connect-node's and grpc-js's clients)", async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
  const phoneNumber = "+12025550600";
  const { verification } = await server.connectH2.start({ phoneNumber });
  const verificationId = verification!.id;
  const watches = [
    WatchRecorder.connect(server.connectH1.watch({ verificationId })),
    WatchRecorder.connect(server.connectH2.watch({ verificationId })),
    WatchRecorder.connect(server.grpcWeb.watch({ verificationId })),
    WatchRecorder.connect(server.grpc.watch({ verificationId })),
    WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId })),
  ];
  for (const watch of watches) await watch.waitFor(EventType.SNAPSHOT);

  const began = Date.now();
  await server.app.close();
  // Well inside shutdown_grace (5 s): the streams were ended, not cut off at the deadline.
  expect(Date.now() - began).toBeLessThan(2000);
  for (const watch of watches) {
    // Not OK: a client must be able to tell a draining instance from a finished verification, and resume elsewhere.
    const outcome = await watch.ended(1000);
    expect(outcome.ok).toBe(false);
    const error = outcome.ok ? undefined : (outcome.error as { code?: number });
    expect(error?.code === grpc.status.UNAVAILABLE || ConnectError.from(error).code === Code.Unavailable).toBe(true);
    // The verification itself did not end; only the server did.
    expect(watch.types).not.toContain(EventType.VERIFIED);
    expect(watch.types).not.toContain(EventType.CANCELED);
  }
});

test("closing the app lets in-flight unary calls finish with their answers", async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
  const created = server.createdIds().length;
  // sim-a takes 300 ms to accept these numbers.
  const overConnect = server.connectH1.start({ phoneNumber: "+12025550160" });
  const overGrpcJs = server.grpcJs.unary(VerificationService.method.start, { phoneNumber: "+12025550161" });
  // Both calls are inside the handler once their records exist.
  await eventually(() => expect(server!.createdIds().length).toBe(created + 2));

  const closing = server.app.close();
  const [connectAnswer, grpcJsAnswer] = await Promise.all([overConnect, overGrpcJs]);
  for (const answer of [connectAnswer, grpcJsAnswer]) {
    expect(answer.verification?.status).toBe(VerificationStatus.SUBMITTED);
    expect(answer.verification?.attempts[0]?.provider).toBe("sim-a");
  }
  await closing;
});

test("after close the port accepts no new requests", async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
  const url = server.url;
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  await server.app.close();
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});

test("a grpc.health.v1.Health Watch hears SERVING, then NOT_SERVING when the app closes, and ends cleanly", async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
  const health = createGrpcJsClient(`127.0.0.1:${server.app.port}`, Health);
  const statuses: ServingStatus[] = [];
  const call = health.serverStream(Health.method.watch, { service: "verify.v1.VerificationService" });
  const ended = new Promise<grpc.StatusObject>((resolve, reject) => {
    call.on("data", (response: HealthCheckResponse) => statuses.push(response.status));
    call.on("error", reject);
    call.on("status", resolve);
  });
  await eventually(() => expect(statuses).toEqual([ServingStatus.SERVING]));

  await server.app.close();
  const status = await ended;
  expect(grpc.status[status.code]).toBe("OK");
  expect(statuses).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  health.close();
});

test("the verifyd CLI, on SIGTERM, ends open Watch streams with UNAVAILABLE and exits 0", async () => {
  const verifyd = await startVerifydProcess(testConfigYaml(E2E_SCENARIO, { log: { level: "info" } }), { startTimeoutMs: 15_000 });
  try {
    const client = createClient(VerificationService, createConnectTransport({ baseUrl: verifyd.url, httpVersion: "1.1" }));
    const { verification } = await client.start({ phoneNumber: "+12025550601" });
    const watch = WatchRecorder.connect(client.watch({ verificationId: verification!.id }));
    await watch.waitFor(EventType.SNAPSHOT);

    verifyd.child.kill("SIGTERM");
    const outcome = await watch.ended();
    expect(outcome.ok ? "ok" : ConnectError.from(outcome.error).code).toBe(Code.Unavailable);
    expect(await verifyd.exited).toBe(0);
    expect(verifyd.logs.some((line) => line.msg === "verifyd stopped")).toBe(true);
  } finally {
    await verifyd.stop();
  }
}, 20_000);
