import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterEach, expect, test } from "vitest";
import { Health, type HealthCheckResponse, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { EventType, VerificationService, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { createGrpcJsClient, eventually, startTestApp, testConfigYaml, type TestServer, WatchRecorder } from "./harness.js";

// Each test closes its own server: a closed server cannot be shared.
let server: TestServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

test("closing the app ends open Watch streams cleanly, over Connect on HTTP/1.1 and HTTP/2 and over grpc-js", async () => {
  server = await startTestApp();
  const phoneNumber = "+12025550600";
  const { verification } = await server.connectH2.start({ phoneNumber });
  const verificationId = verification!.id;
  const watches = [
    WatchRecorder.connect(server.connectH1.watch({ verificationId })),
    WatchRecorder.connect(server.connectH2.watch({ verificationId })),
    WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId })),
  ];
  for (const watch of watches) await watch.waitFor(EventType.SNAPSHOT);

  const began = Date.now();
  await server.app.close();
  // Well inside shutdown_grace (5 s): the streams were ended, not cut off at the deadline.
  expect(Date.now() - began).toBeLessThan(2000);
  for (const watch of watches) {
    expect(await watch.ended(1000)).toEqual({ ok: true });
    // The verification itself did not end; only the server did.
    expect(watch.types).not.toContain(EventType.VERIFIED);
    expect(watch.types).not.toContain(EventType.CANCELED);
  }
});

test("closing the app lets in-flight unary calls finish with their answers", async () => {
  server = await startTestApp();
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
  server = await startTestApp();
  const url = server.url;
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  await server.app.close();
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
});

test("a grpc.health.v1.Health Watch hears SERVING, then NOT_SERVING when the app closes, and ends cleanly", async () => {
  server = await startTestApp();
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

test("the verifyd CLI, on SIGTERM, ends open Watch streams cleanly and exits 0", async () => {
  const dir = await mkdtemp(join(tmpdir(), "verifyd-e2e-"));
  const configPath = join(dir, "verifyd.yaml");
  await writeFile(configPath, testConfigYaml({ logLevel: "info" }));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--config", configPath, "--port", "0"], {
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const logs: Array<{ msg?: string; url?: string }> = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      logs.push(JSON.parse(line) as { msg?: string; url?: string });
    } catch {
      // Not a log line.
    }
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const url = await eventually(() => {
      const listening = logs.find((line) => line.msg === "verifyd listening");
      expect(listening?.url, `verifyd did not start; stderr: ${stderr}`).toBeDefined();
      return listening!.url!;
    }, 15_000, 50);

    const client = createClient(VerificationService, createConnectTransport({ baseUrl: url, httpVersion: "1.1" }));
    const { verification } = await client.start({ phoneNumber: "+12025550601" });
    const watch = WatchRecorder.connect(client.watch({ verificationId: verification!.id }));
    await watch.waitFor(EventType.SNAPSHOT);

    child.kill("SIGTERM");
    expect(await watch.ended()).toEqual({ ok: true });
    expect(await exited).toBe(0);
    expect(logs.some((line) => line.msg === "verifyd stopped")).toBe(true);
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}, 20_000);
