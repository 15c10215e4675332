import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { InMemorySpanExporter, ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { FakeClock } from "../support/clock.js";
import { eventually } from "../support/eventually.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { DELIVERY_WINDOW_MS, inMemoryTelemetry, telemetryScenario } from "./scenario.js";
import { attempts, isChildOf, spansOf } from "./spans.js";

const START = "verify.v1.VerificationService/Start";

let server: TestServer;
let exporter: InMemorySpanExporter;
beforeAll(async () => {
  const traced = inMemoryTelemetry();
  exporter = traced.spans;
  server = await startTestServer({ config: telemetryScenario(), telemetry: traced.telemetry });
});
afterAll(async () => server?.close());
beforeEach(() => exporter.reset());

function serverSpan(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name && span.kind === SpanKind.SERVER);
  expect(found, `one ${name} server span`).toHaveLength(1);
  return found[0]!;
}

describe("a fast-failover verification", () => {
  test("reads as one trace: the Start server span with a child span per provider attempt, then the receipt", async () => {
    const phone = "+12025550111";
    const { verification } = await server.connectH1.start({ phoneNumber: phone });
    const id = verification!.id;

    const spans = await eventually(() => {
      const found = spansOf(exporter, id);
      expect(found.map((span) => span.name)).toContain("receipt sim-b");
      return found;
    });
    const start = serverSpan(spans, START);
    expect(start.attributes).toMatchObject({
      "rpc.system": "connect_rpc",
      "rpc.service": "verify.v1.VerificationService",
      "rpc.method": "Start",
      "rpc.response.status_code": "OK",
      "verifyd.rpc.protocol": "connect",
      "verifyd.verification.id": id,
    });
    expect(start.parentSpanContext, "a trace of its own: the caller sent no traceparent").toBeUndefined();

    const [first, second, ...more] = attempts(spans);
    expect(more).toEqual([]);
    for (const attempt of [first!, second!]) {
      expect(isChildOf(attempt, start), `${attempt.name} is a child of the Start span`).toBe(true);
      expect(attempt.kind).toBe(SpanKind.CLIENT);
    }
    expect(first!.name).toBe("send sim-a");
    expect(first!.attributes).toMatchObject({
      "verifyd.provider": "sim-a",
      "verifyd.channel": "sms",
      "verifyd.country": "US",
      "verifyd.attempt.number": 1,
      "verifyd.attempt.reason": "start",
      "verifyd.attempt.outcome": "rejected",
      "verifyd.attempt.error_kind": "no_route",
      "verifyd.breaker.state": "closed",
      "verifyd.phone_number": "+12*****0111",
    });
    expect(first!.attributes["verifyd.failover.reason"]).toBeUndefined();
    expect(first!.status.code).toBe(SpanStatusCode.ERROR);
    expect(second!.name).toBe("send sim-b");
    expect(second!.attributes).toMatchObject({
      "verifyd.provider": "sim-b",
      "verifyd.attempt.number": 2,
      "verifyd.attempt.reason": "rejected: no_route",
      "verifyd.failover.reason": "rejected",
      "verifyd.attempt.outcome": "accepted",
      "verifyd.breaker.state": "closed",
    });
    expect(second!.attributes["verifyd.provider.message_id"]).toMatch(/^sim-b-/);
    expect(second!.startTime >= first!.endTime || second!.startTime[0] >= first!.endTime[0], "attempts run one after the other").toBe(true);

    const receipt = spans.find((span) => span.name === "receipt sim-b")!;
    expect(receipt.spanContext().traceId, "the receipt lands in the Start's trace").toBe(start.spanContext().traceId);
    expect(isChildOf(receipt, start)).toBe(true);
    expect(receipt.events.map((event) => event.name)).toEqual(["delivery_receipt"]);
    expect(receipt.events[0]!.attributes).toMatchObject({ "verifyd.receipt.status": "delivered", "verifyd.provider": "sim-b", "verifyd.attempt.number": 2 });
  });

  test("never records the code, nor the phone number unmasked, on any span", async () => {
    const phone = "+12025550112";
    const { verification } = await server.grpc.start({ phoneNumber: phone });
    const code = await server.codeSentTo(phone);
    await server.grpc.check({ verificationId: verification!.id, code });

    const spans = exporter.getFinishedSpans();
    const everything = JSON.stringify(
      spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, status: span.status, links: span.links })),
    );
    expect(everything).not.toContain(code);
    expect(everything).not.toContain(phone);
    expect(everything).toContain("+12*****0112");
  });
});

describe("a slow-failover verification", () => {
  test("the timer's resend is a span of its own, linked to the Start that armed it, with the new attempt under it", async () => {
    const phone = "+12025550121";
    const { verification } = await server.connectH1.start({ phoneNumber: phone });
    const id = verification!.id;

    const spans = await eventually(
      () => {
        const found = spansOf(exporter, id);
        expect(found.map((span) => span.name)).toContain("receipt sim-b");
        return found;
      },
      { timeoutMs: 5 * DELIVERY_WINDOW_MS + 2000 },
    );
    const start = serverSpan(spans, START);
    const [first, second] = attempts(spans);
    expect(isChildOf(first!, start)).toBe(true);
    expect(first!.attributes).toMatchObject({ "verifyd.provider": "sim-a", "verifyd.attempt.outcome": "accepted", "verifyd.attempt.number": 1 });

    const resend = spans.find((span) => span.name === "resend (no_receipt)");
    expect(resend, "a span for the timer-driven resend").toBeDefined();
    expect(resend!.parentSpanContext, "a root span: the timer has no caller").toBeUndefined();
    expect(resend!.spanContext().traceId).not.toBe(start.spanContext().traceId);
    expect(resend!.links).toHaveLength(1);
    expect(resend!.links[0]!.context.traceId).toBe(start.spanContext().traceId);
    expect(resend!.links[0]!.context.spanId).toBe(start.spanContext().spanId);
    expect(resend!.attributes).toMatchObject({ "verifyd.verification.id": id, "verifyd.failover.reason": "no_receipt", "verifyd.country": "US" });

    expect(isChildOf(second!, resend!), "the resend's attempt hangs under the resend span").toBe(true);
    expect(second!.attributes).toMatchObject({
      "verifyd.provider": "sim-b",
      "verifyd.attempt.number": 2,
      "verifyd.attempt.reason": "no_receipt",
      "verifyd.failover.reason": "no_receipt",
      "verifyd.attempt.outcome": "accepted",
    });
    const startedAfterWindow = (second!.startTime[0] - first!.startTime[0]) * 1000 + (second!.startTime[1] - first!.startTime[1]) / 1e6;
    expect(startedAfterWindow).toBeGreaterThanOrEqual(DELIVERY_WINDOW_MS - 5);
  });

  test("an UNDELIVERED receipt shows as an errored receipt span, and the failover it causes as a resend span", async () => {
    const phone = "+12025550131";
    const { verification } = await server.connectH1.start({ phoneNumber: phone });
    const id = verification!.id;

    const spans = await eventually(() => {
      const found = spansOf(exporter, id);
      expect(found.map((span) => span.name)).toEqual(expect.arrayContaining(["receipt sim-a", "resend (undelivered)", "receipt sim-b"]));
      return found;
    });
    const undelivered = spans.find((span) => span.name === "receipt sim-a")!;
    expect(undelivered.status.code).toBe(SpanStatusCode.ERROR);
    expect(undelivered.events[0]!.attributes).toMatchObject({ "verifyd.receipt.status": "undelivered" });
    const resend = spans.find((span) => span.name === "resend (undelivered)")!;
    expect(attempts(spans).map((span) => [span.attributes["verifyd.provider"], span.attributes["verifyd.failover.reason"] ?? null])).toEqual([
      ["sim-a", null],
      ["sim-b", "undelivered"],
    ]);
    expect(isChildOf(attempts(spans)[1]!, resend)).toBe(true);
  });

  test("timers that send nothing (here: expiry) leave no span", async () => {
    // code_ttl runs out when the test moves this clock, once sim-a's receipt is in.
    const clock = new FakeClock(Date.now());
    const traced = inMemoryTelemetry();
    const short = await startTestServer({ config: telemetryScenario({ codeTtl: "400ms" }), telemetry: traced.telemetry, clock });
    try {
      const { verification } = await short.connectH1.start({ phoneNumber: "+12025550101" });
      await eventually(() => expect(spansOf(traced.spans, verification!.id).map((span) => span.name)).toContain("receipt sim-a"));
      clock.advance(400);
      await eventually(async () => expect((await short.app.store.get(verification!.id))?.status).toBe("expired"));
      const names = spansOf(traced.spans, verification!.id).map((span) => span.name);
      expect(names.sort()).toEqual([START, "receipt sim-a", "send sim-a"].sort());
    } finally {
      await short.close();
    }
  });
});

describe("trace context from the caller", () => {
  const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  const PARENT_ID = "00f067aa0ba902b7";
  const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;

  test.each([
    ["Connect", "connectH1", "connect_rpc"],
    ["gRPC", "grpc", "grpc"],
    ["gRPC-Web", "grpcWeb", "grpc"],
  ] as const)("a %s call continues the caller's W3C trace", async (_name, client, system) => {
    const phone = `+120255501${client === "connectH1" ? "02" : client === "grpc" ? "03" : "04"}`;
    const { verification } = await server[client].start({ phoneNumber: phone }, { headers: { traceparent } });

    const spans = spansOf(exporter, verification!.id);
    const start = serverSpan(spans, START);
    expect(start.spanContext().traceId).toBe(TRACE_ID);
    expect(start.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(start.parentSpanContext?.isRemote).toBe(true);
    expect(start.attributes["rpc.system"]).toBe(system);
    if (system === "grpc") expect(start.attributes["rpc.grpc.status_code"]).toBe(0);
    expect(attempts(spans).every((attempt) => attempt.spanContext().traceId === TRACE_ID)).toBe(true);
  });

  test("a failed call records its status code; a server fault marks the span as an error, a caller's mistake does not", async () => {
    await expect(server.grpc.get({ verificationId: "ver_unknown" }, { headers: { traceparent } })).rejects.toThrow(/not found/);
    await expect(server.connectH1.start({ phoneNumber: "+33612345699" })).rejects.toThrow(/no provider could take the message/);

    const get = exporter.getFinishedSpans().find((span) => span.name === "verify.v1.VerificationService/Get")!;
    expect(get.attributes).toMatchObject({ "rpc.grpc.status_code": 5, "rpc.response.status_code": "NOT_FOUND", "verifyd.verification.id": "ver_unknown" });
    expect(get.status.code).toBe(SpanStatusCode.UNSET);
    const start = exporter.getFinishedSpans().find((span) => span.name === START)!;
    expect(start.attributes).toMatchObject({ "rpc.connect_rpc.error_code": "unavailable", "rpc.response.status_code": "UNAVAILABLE" });
    expect(start.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts(exporter.getFinishedSpans()).map((span) => [span.name, span.attributes["verifyd.attempt.error_kind"]])).toEqual([["send sim-down", "auth"]]);
  });

  test("Watch gets one span for the whole stream, ended when the stream ends", async () => {
    const phone = "+12025550105";
    const { verification } = await server.connectH1.start({ phoneNumber: phone });
    const code = await server.codeSentTo(phone);
    const events: string[] = [];
    const watching = (async () => {
      for await (const response of server.grpc.watch({ verificationId: verification!.id })) events.push(String(response.event?.type));
    })();
    await eventually(() => expect(events.length).toBeGreaterThan(0));
    await server.connectH1.check({ verificationId: verification!.id, code });
    await watching;

    const watch = await eventually(() => {
      const found = exporter.getFinishedSpans().find((span) => span.name === "verify.v1.VerificationService/Watch");
      expect(found).toBeDefined();
      return found!;
    });
    expect(watch.attributes["rpc.grpc.status_code"]).toBe(0);
    const check = exporter.getFinishedSpans().find((span) => span.name === "verify.v1.VerificationService/Check")!;
    expect(check.attributes).toMatchObject({ "verifyd.check.approved": true, "verifyd.verification.id": verification!.id });
  });

  test("health checks are not traced", async () => {
    const response = await fetch(`${server.app.url}/grpc.health.v1.Health/Check`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(response.status).toBe(200);
    expect(exporter.getFinishedSpans().filter((span) => span.name.startsWith("grpc.health"))).toEqual([]);
  });
});

describe("with tracing off", () => {
  test("nothing is traced and records carry no trace context", async () => {
    const untraced = inMemoryTelemetry(false);
    const quiet = await startTestServer({ config: telemetryScenario(), telemetry: untraced.telemetry });
    try {
      const { verification } = await quiet.connectH1.start(
        { phoneNumber: "+12025550111" },
        { headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } },
      );
      expect(untraced.telemetry.tracer).toBeUndefined();
      expect(untraced.spans.getFinishedSpans()).toEqual([]);
      expect((await quiet.app.store.get(verification!.id))?.traceContext).toBeUndefined();
    } finally {
      await quiet.close();
    }
  });
});
