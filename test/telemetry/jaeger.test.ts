import { existsSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";
import { type ConfigLayer, testConfigYaml } from "../support/config.js";
import { eventually } from "../support/eventually.js";
import { type MongoTestServer, mongoServerAvailability, startMongoServer } from "../support/ferretdb.js";
import { startVerifydProcess, type VerifydProcess } from "../support/process.js";
import { JAEGER_BINARY, type Jaeger, type JaegerSpan, type JaegerTrace, startJaeger, tag } from "./jaeger.js";
import { DELIVERY_WINDOW_MS, telemetryScenario } from "./scenario.js";

// Under CI a missing or broken Jaeger fails the suite; on a laptop without the tools it is skipped.
const run = existsSync(JAEGER_BINARY) || Boolean(process.env.CI);

describe.runIf(run)("traces in a real Jaeger", () => {
  let jaeger: Jaeger;
  let verifyd: VerifydProcess;

  beforeAll(async () => {
    jaeger = await startJaeger();
    verifyd = await startVerifyd({ OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpEndpoint, OTEL_BSP_SCHEDULE_DELAY: "100" });
  }, 60_000);

  afterAll(async () => {
    await verifyd?.stop();
    await jaeger?.stop();
  });

  async function traceOf(verificationId: string, spansAtLeast: number): Promise<JaegerTrace[]> {
    return eventually(
      async () => {
        const traces = await jaeger.traces({ service: "verifyd", tags: JSON.stringify({ "verifyd.verification.id": verificationId }), limit: "20" });
        const spans = traces.flatMap((trace) => trace.spans);
        expect(spans.length, `spans of ${verificationId} in Jaeger`).toBeGreaterThanOrEqual(spansAtLeast);
        return traces;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
  }

  test("a fast-failover verification is found through the query API as one trace, with a span per attempt and its attributes", async () => {
    const client = createClient(VerificationService, createConnectTransport({ baseUrl: verifyd.url, httpVersion: "1.1" }));
    const { verification } = await client.start({ phoneNumber: "+12025550111" });
    const id = verification!.id;

    // Start, two attempts, and sim-b's receipt.
    const traces = await traceOf(id, 4);
    const withStart = traces.filter((trace) => trace.spans.some((span) => span.operationName === "verify.v1.VerificationService/Start"));
    expect(withStart).toHaveLength(1);
    const trace = withStart[0]!;
    expect(Object.values(trace.processes).map((process) => process.serviceName)).toEqual(["verifyd"]);

    const start = trace.spans.find((span) => span.operationName === "verify.v1.VerificationService/Start")!;
    expect(tag(start, "span.kind")).toBe("server");
    expect(tag(start, "rpc.system")).toBe("connect_rpc");
    expect(tag(start, "rpc.method")).toBe("Start");

    const attempts = trace.spans.filter((span) => span.operationName.startsWith("send ")).sort(byAttempt);
    expect(attempts.map((span) => span.operationName)).toEqual(["send sim-a", "send sim-b"]);
    for (const attempt of attempts) expect(parentOf(attempt)).toBe(start.spanID);
    expect(tags(attempts[0]!)).toMatchObject({
      "verifyd.provider": "sim-a",
      "verifyd.channel": "sms",
      "verifyd.country": "US",
      "verifyd.attempt.number": 1,
      "verifyd.attempt.outcome": "rejected",
      "verifyd.attempt.error_kind": "no_route",
      "verifyd.breaker.state": "closed",
      "verifyd.phone_number": "+12*****0111",
      "span.kind": "client",
    });
    expect(tags(attempts[1]!)).toMatchObject({
      "verifyd.provider": "sim-b",
      "verifyd.attempt.number": 2,
      "verifyd.attempt.outcome": "accepted",
      "verifyd.failover.reason": "rejected",
      "verifyd.attempt.reason": "rejected: no_route",
    });

    const receipt = await eventually(
      async () => {
        const found = (await traceOf(id, 4)).flatMap((t) => t.spans).find((span) => span.operationName === "receipt sim-b");
        expect(found).toBeDefined();
        return found!;
      },
      { timeoutMs: 10_000 },
    );
    expect(receipt.traceID).toBe(start.traceID);
    expect(receipt.logs.some((log) => log.fields.some((field) => field.key === "event" && field.value === "delivery_receipt"))).toBe(true);
  }, 60_000);

  test("a slow failover's resend is its own trace, which follows from the Start that armed it", async () => {
    const client = createClient(VerificationService, createConnectTransport({ baseUrl: verifyd.url, httpVersion: "1.1" }));
    const { verification } = await client.start({ phoneNumber: "+12025550121" });
    const id = verification!.id;

    const traces = await eventually(
      async () => {
        const found = await traceOf(id, 4);
        expect(found.flatMap((t) => t.spans).map((span) => span.operationName)).toContain("resend (no_receipt)");
        return found;
      },
      { timeoutMs: 20_000 + DELIVERY_WINDOW_MS },
    );
    const spans = traces.flatMap((t) => t.spans);
    const start = spans.find((span) => span.operationName === "verify.v1.VerificationService/Start")!;
    const resend = spans.find((span) => span.operationName === "resend (no_receipt)")!;
    expect(resend.traceID).not.toBe(start.traceID);
    expect(resend.references).toContainEqual({ refType: "FOLLOWS_FROM", traceID: start.traceID, spanID: start.spanID });
    const second = spans.find((span) => span.operationName === "send sim-b")!;
    expect(second.traceID).toBe(resend.traceID);
    expect(parentOf(second)).toBe(resend.spanID);
    expect(tags(second)).toMatchObject({ "verifyd.attempt.number": 2, "verifyd.failover.reason": "no_receipt" });
  }, 60_000);

  test("OTEL_EXPORTER_OTLP_PROTOCOL=grpc exports the same trace over OTLP/gRPC", async () => {
    const overGrpc = await startVerifyd({
      OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpGrpcEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_SERVICE_NAME: "verifyd-grpc",
    });
    try {
      const client = createClient(VerificationService, createConnectTransport({ baseUrl: overGrpc.url, httpVersion: "1.1" }));
      const { verification } = await client.start({ phoneNumber: "+12025550112" });
      const traces = await eventually(
        async () => {
          const found = await jaeger.traces({ service: "verifyd-grpc", tags: JSON.stringify({ "verifyd.verification.id": verification!.id }) });
          expect(found.flatMap((trace) => trace.spans).map((span) => span.operationName)).toEqual(expect.arrayContaining(["send sim-a", "send sim-b"]));
          return found;
        },
        { timeoutMs: 20_000, intervalMs: 200 },
      );
      expect(Object.values(traces[0]!.processes).map((process) => process.serviceName)).toEqual(["verifyd-grpc"]);
    } finally {
      await overGrpc.stop();
    }
  }, 60_000);

  test("verifyd's log lines inside a request carry the trace id Jaeger shows", async () => {
    const client = createClient(VerificationService, createConnectTransport({ baseUrl: verifyd.url, httpVersion: "1.1" }));
    // Nothing routable for FR: Start answers UNAVAILABLE, and the error mapping logs it inside the RPC's span.
    await expect(client.start({ phoneNumber: "+33612345688" })).rejects.toThrow();
    const line = await eventually(() => {
      const found = verifyd.logs.find((entry) => String(entry.msg).startsWith("no provider could take the message") && entry.trace_id);
      expect(found).toBeDefined();
      return found!;
    });
    const traces = await eventually(
      async () => {
        const found = await jaeger.traces({ service: "verifyd", tags: JSON.stringify({ "rpc.response.status_code": "UNAVAILABLE" }) });
        expect(found.map((trace) => trace.traceID)).toContain(line.trace_id);
        return found;
      },
      { timeoutMs: 20_000 },
    );
    expect(traces.length).toBeGreaterThan(0);
  }, 60_000);
});

describe.runIf(run && mongoServerAvailability().available)("MongoDB commands in a real Jaeger trace", () => {
  let jaeger: Jaeger;
  let mongo: MongoTestServer;
  let verifyd: VerifydProcess;

  beforeAll(async () => {
    [jaeger, mongo] = await Promise.all([startJaeger(), startMongoServer()]);
    const store = { type: "mongodb", uri: mongo.uri, database: mongo.uniqueDatabase("telemetry") };
    verifyd = await startVerifyd({ OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpEndpoint, OTEL_BSP_SCHEDULE_DELAY: "100" }, { store });
  }, 90_000);

  afterAll(async () => {
    await verifyd?.stop();
    await Promise.all([jaeger?.stop(), mongo?.close()]);
  });

  test("the driver's commands appear inside the Start's trace, with the phone number left out of the statement", async () => {
    const client = createClient(VerificationService, createConnectTransport({ baseUrl: verifyd.url, httpVersion: "1.1" }));
    const phone = "+12025550111";
    const { verification } = await client.start({ phoneNumber: phone });

    const trace = await eventually(
      async () => {
        const traces = await jaeger.traces({ service: "verifyd", tags: JSON.stringify({ "verifyd.verification.id": verification!.id }) });
        const found = traces.find((candidate) => candidate.spans.some((span) => span.operationName === "verify.v1.VerificationService/Start"));
        expect(found?.spans.filter(isMongoSpan).length ?? 0).toBeGreaterThan(0);
        return found!;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const start = trace.spans.find((span) => span.operationName === "verify.v1.VerificationService/Start")!;
    const mongoSpans = trace.spans.filter(isMongoSpan);
    const ids = new Set(trace.spans.map((span) => span.spanID));
    for (const span of mongoSpans) {
      expect(span.traceID).toBe(start.traceID);
      expect(ids.has(parentOf(span) ?? ""), `${span.operationName} hangs under a span of the trace`).toBe(true);
    }
    expect(JSON.stringify(mongoSpans)).not.toContain(phone);
  }, 60_000);
});

function isMongoSpan(span: JaegerSpan): boolean {
  return span.tags.some((entry) => (entry.key === "db.system" || entry.key === "db.system.name") && entry.value === "mongodb");
}

/** verifyd with the telemetry scenario as its own process, exporting to wherever `env` says. */
async function startVerifyd(env: Record<string, string>, extra: ConfigLayer = {}): Promise<VerifydProcess> {
  return startVerifydProcess(testConfigYaml(telemetryScenario(), { log: { level: "info" } }, extra), {
    env: { ...withoutOtelSettings(process.env), ...env },
    startTimeoutMs: 20_000,
  });
}

/** The test's own OTEL_* settings only: whatever the machine exports must not redirect verifyd's spans. */
function withoutOtelSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith("OTEL_")));
}

function tags(span: JaegerSpan): Record<string, unknown> {
  return Object.fromEntries(span.tags.map((entry) => [entry.key, entry.value]));
}

function parentOf(span: JaegerSpan): string | undefined {
  return span.references.find((reference) => reference.refType === "CHILD_OF")?.spanID;
}

function byAttempt(a: JaegerSpan, b: JaegerSpan): number {
  return Number(tag(a, "verifyd.attempt.number")) - Number(tag(b, "verifyd.attempt.number"));
}
