import { SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { ProviderCaller } from "../../src/gateway/provider-caller.js";
import type { OutboundMessage, ProviderAdapter } from "../../src/providers/adapter.js";
import { composeObservers, instrumentApp, type MetricSources } from "../../src/telemetry/app-telemetry.js";
import { attemptReasonText, countryLabel, errorKindOf, failoverReasonOf, skippedAttribute, skippedForOpenBreaker } from "../../src/telemetry/attributes.js";
import { VerifydMetrics } from "../../src/telemetry/metrics.js";
import { startTelemetry, type Telemetry } from "../../src/telemetry/telemetry.js";
import { traceTimerWork } from "../../src/telemetry/timer-spans.js";
import { contextOf, linksTo, spanContextOf } from "../../src/telemetry/trace-context.js";
import { TracingCaller } from "../../src/telemetry/tracing-caller.js";
import type {
  Attempt,
  AttemptReason,
  EventFacts,
  EventType,
  FailoverCause,
  SkippedProvider,
  VerificationEvent,
  VerificationRecord,
} from "../../src/verification/model.js";
import type { AttemptContext, SendOutcome } from "../../src/verification/ports.js";

const CAUSES: Record<FailoverCause["kind"], FailoverCause> = {
  rejected: { kind: "rejected", error: { kind: "no_route", message: "simulated no_route" } },
  no_receipt: { kind: "no_receipt" },
  undelivered: { kind: "undelivered" },
  escalated: { kind: "escalated", from: "sms", to: "voice" },
};
const failover = (cause: FailoverCause): AttemptReason => ({ kind: "failover", cause });
const skip = (...providers: string[]): SkippedProvider[] => providers.map((provider) => ({ provider, why: "breaker_open" }));

describe("the domain's typed reasons as labels and attributes", () => {
  test("a failover's label is its cause's kind; attempts that are no failover have none", () => {
    for (const [kind, cause] of Object.entries(CAUSES)) expect(failoverReasonOf(failover(cause))).toBe(kind);
    expect(failoverReasonOf({ kind: "start" })).toBeUndefined();
    expect(failoverReasonOf({ kind: "resend" })).toBeUndefined();
    expect(failoverReasonOf({ kind: "takeover" })).toBeUndefined();
    expect(failoverReasonOf(undefined)).toBeUndefined();
  });

  test("the attempt reason attribute keeps the domain's wording", () => {
    expect(attemptReasonText({ kind: "start" })).toBe("start");
    expect(attemptReasonText({ kind: "resend" })).toBe("resend");
    expect(attemptReasonText({ kind: "takeover" })).toBe("takeover");
    expect(attemptReasonText(failover(CAUSES.rejected))).toBe("rejected: no_route");
    expect(attemptReasonText(failover(CAUSES.no_receipt))).toBe("no_receipt");
    expect(attemptReasonText(failover(CAUSES.undelivered))).toBe("undelivered");
    expect(attemptReasonText(failover(CAUSES.escalated))).toBe("escalated to voice");
    expect(attemptReasonText(undefined)).toBe("unknown");
  });

  test("providers passed over for an open breaker, as names and as '<name> (<why>)'", () => {
    expect(skippedForOpenBreaker(skip("sim_b", "sim-c"))).toEqual(["sim_b", "sim-c"]);
    expect(skippedForOpenBreaker([])).toEqual([]);
    expect(skippedForOpenBreaker(undefined)).toEqual([]);
    expect(skippedAttribute(skip("sim-a", "sim-b"))).toEqual(["sim-a (breaker_open)", "sim-b (breaker_open)"]);
  });

  test("error kinds are the attempt error's kind; an attempt without one is 'other'", () => {
    expect(errorKindOf({ kind: "no_route", message: "simulated no_route" })).toBe("no_route");
    expect(errorKindOf({ kind: "breaker_open", message: "the circuit breaker is open" })).toBe("breaker_open");
    expect(errorKindOf(undefined)).toBe("other");
  });

  test("countries are ISO codes or 'unknown', so the label set stays bounded", () => {
    expect(countryLabel("ID")).toBe("ID");
    expect(countryLabel("001")).toBe("unknown");
    expect(countryLabel(undefined)).toBe("unknown");
  });
});

function attempt(number: number, provider: string, reason: AttemptReason, extra: Partial<Attempt> = {}): Attempt {
  return { number, provider, channel: "sms", status: "submitted", reason, idempotencyKey: `ver_t-attempt-${number}`, startedAt: 0, ...extra };
}

function record(attempts: Attempt[]): VerificationRecord {
  return {
    ...{ id: "ver_t", phoneNumber: "+12025550100", country: "US", channel: "sms", status: "submitted", attempts },
    ...{ createdAt: 0, updatedAt: 0, expiresAt: 600_000, checkAttemptsRemaining: 5, fallbackChannels: [], codeLength: 6, codeHash: "h" },
    ...{ locale: "en", metadata: {}, requestFingerprint: "", sequence: 0, version: 0 },
  };
}

function event(type: EventType, verification: VerificationRecord, facts: EventFacts): VerificationEvent {
  return { verificationId: verification.id, sequence: 1, type, verification, at: 0, ...facts };
}

/** One counter's samples from the Prometheus text, as "<label value> ..." → value, for the labels asked for. */
async function counts(telemetry: Telemetry, name: string, labels: string[]): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const line of ((await telemetry.prometheusText()) ?? "").split("\n")) {
    const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const values = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    result[labels.map((label) => values[label]).join(" ")] = Number(match[3]);
  }
  return result;
}

describe("failovers and sends counted from the typed event stream", () => {
  let telemetry: Telemetry;
  let metrics: VerifydMetrics;
  const sources: MetricSources = { providers: new Map(), breakerState: () => "closed", costOf: () => 0.01, timersInFlight: () => 0 };

  beforeEach(() => {
    telemetry = startTelemetry({ env: {} });
    metrics = new VerifydMetrics(telemetry.meter!, sources);
  });
  afterEach(() => telemetry.shutdown());

  test("each failover cause is a reason label on the provider left behind", async () => {
    for (const cause of Object.values(CAUSES)) {
      const moved = record([attempt(1, "sim-a", { kind: "start" }), attempt(2, "sim-b", failover(cause))]);
      metrics.observe([event("failover", moved, { provider: "sim-b", attemptNumber: 2, cause })]);
    }
    expect(await counts(telemetry, "verifyd_failovers_total", ["provider", "reason"])).toEqual({
      "sim-a rejected": 1,
      "sim-a no_receipt": 1,
      "sim-a undelivered": 1,
      "sim-a escalated": 1,
    });
  });

  test("breaker_open is counted once per skipped provider and attempt, though several events list the skips", async () => {
    // Start's first attempt: no failover event, so its skips count at its outcome.
    const first = record([attempt(1, "sim-c", { kind: "start" }, { status: "rejected", skipped: skip("sim-x") })]);
    first.attempts[0]!.error = { kind: "unavailable", message: "down" };
    metrics.observe([event("rejected", first, { provider: "sim-c", attemptNumber: 1, error: first.attempts[0]!.error, skipped: skip("sim-x") })]);
    // The failover to attempt 2 announces its skips; the send's outcome repeats them.
    const cause = { kind: "rejected", error: first.attempts[0]!.error } as const;
    const second = record([...first.attempts, attempt(2, "sim-d", failover(cause), { skipped: skip("sim-x", "sim-y") })]);
    metrics.observe([event("failover", second, { provider: "sim-d", attemptNumber: 2, cause, skipped: skip("sim-x", "sim-y") })]);
    metrics.observe([event("submitted", second, { provider: "sim-d", attemptNumber: 2, skipped: skip("sim-x", "sim-y") })]);
    // A caller's resend that passes over a provider: a failover event without a cause.
    const third = record([...second.attempts, attempt(3, "sim-e", { kind: "resend" }, { skipped: skip("sim-d") })]);
    metrics.observe([event("failover", third, { provider: "sim-e", attemptNumber: 3, skipped: skip("sim-d") })]);
    metrics.observe([event("submitted", third, { provider: "sim-e", attemptNumber: 3, skipped: skip("sim-d") })]);

    expect(await counts(telemetry, "verifyd_failovers_total", ["provider", "reason"])).toEqual({
      "sim-x breaker_open": 2,
      "sim-y breaker_open": 1,
      "sim-c rejected": 1,
      "sim-d breaker_open": 1,
    });
  });

  test("a Start whose first attempt is accepted counts its skips at submission", async () => {
    const started = record([attempt(1, "sim-b", { kind: "start" }, { skipped: skip("sim-flaky") })]);
    metrics.observe([event("submitted", started, { provider: "sim-b", attemptNumber: 1, skipped: skip("sim-flaky") })]);
    expect(await counts(telemetry, "verifyd_failovers_total", ["provider", "reason"])).toEqual({ "sim-flaky breaker_open": 1 });
    expect(await counts(telemetry, "verifyd_sends_total", ["provider", "outcome", "error_kind"])).toEqual({ "sim-b accepted none": 1 });
  });

  test("rejected sends are labelled with the attempt error's kind", async () => {
    for (const kind of ["no_route", "auth"] as const) {
      const rejected = record([attempt(1, `sim-${kind}`, { kind: "start" }, { status: "rejected", error: { kind, message: "refused" } })]);
      metrics.observe([event("rejected", rejected, { provider: `sim-${kind}`, attemptNumber: 1, error: { kind, message: "refused" } })]);
    }
    expect(await counts(telemetry, "verifyd_sends_total", ["provider", "outcome", "error_kind"])).toEqual({
      "sim-no_route rejected no_route": 1,
      "sim-auth rejected auth": 1,
    });
  });
});

const adapter: ProviderAdapter = {
  name: "sim-b",
  type: "test",
  channels: ["sms"],
  cost: 0,
  send: async () => ({ providerMessageId: "unused" }),
};

function message(attemptContext: AttemptContext): OutboundMessage {
  const reference = { verificationId: "ver_t", attemptNumber: 2 };
  const text = { code: "123456", body: "code 123456", locale: "en" };
  return { to: "+12025550100", channel: "sms", ...text, idempotencyKey: "ver_t-attempt-2", reference, callbackUrl: "", attemptContext };
}

const answering = (outcome: SendOutcome): ProviderCaller => ({ send: async () => outcome });

describe("attempt spans from the typed attempt context", () => {
  let exporter: InMemorySpanExporter;
  let telemetry: Telemetry;

  beforeEach(() => {
    // Shutting telemetry down shuts its exporter down too: a fresh one per test.
    exporter = new InMemorySpanExporter();
    telemetry = startTelemetry({ env: {}, spanExporter: exporter });
  });
  afterEach(() => telemetry.shutdown());

  const attemptSpan = () => exporter.getFinishedSpans().find((span) => span.name === "send sim-b")!;

  test("a failover: reason in the domain's words, the cause as failover reason, skips as '<name> (<why>)'", async () => {
    const caller = new TracingCaller(answering({ ok: true, providerMessageId: "m-1" }), telemetry.tracer!, () => "closed");
    const context = { country: "US", reason: failover(CAUSES.rejected), skipped: skip("sim-x") };
    await caller.send(adapter, message(context));
    expect(attemptSpan().attributes).toMatchObject({
      "verifyd.attempt.reason": "rejected: no_route",
      "verifyd.failover.reason": "rejected",
      "verifyd.route.skipped": ["sim-x (breaker_open)"],
      "verifyd.attempt.outcome": "accepted",
      "verifyd.breaker.state": "closed",
    });
  });

  test("only skips: the failover reason is breaker_open; no skips and no failover: none", async () => {
    const caller = new TracingCaller(answering({ ok: true, providerMessageId: "m-1" }), telemetry.tracer!, () => "closed");
    await caller.send(adapter, message({ country: "US", reason: { kind: "start" }, skipped: skip("sim-x", "sim-y") }));
    expect(attemptSpan().attributes).toMatchObject({ "verifyd.attempt.reason": "start", "verifyd.failover.reason": "breaker_open" });
    exporter.reset();
    await caller.send(adapter, message({ country: "US", reason: { kind: "resend" } }));
    expect(attemptSpan().attributes["verifyd.failover.reason"]).toBeUndefined();
    expect(attemptSpan().attributes["verifyd.route.skipped"]).toBeUndefined();
  });

  test("a call the breaker refused ends as breaker_open; a provider's refusal as rejected, with its words masked", async () => {
    const breakerOpen = answering({ ok: false, error: { kind: "breaker_open", message: "the circuit breaker is open" } });
    await new TracingCaller(breakerOpen, telemetry.tracer!, () => "open").send(adapter, message({ country: "US", reason: { kind: "start" } }));
    expect(attemptSpan().attributes).toMatchObject({
      "verifyd.attempt.outcome": "breaker_open",
      "verifyd.attempt.error_kind": "breaker_open",
      "verifyd.breaker.state": "open",
    });
    expect(attemptSpan().status).toEqual({ code: SpanStatusCode.ERROR, message: "breaker_open: the circuit breaker is open" });
    exporter.reset();
    const invalid = answering({ ok: false, error: { kind: "invalid_number", message: "+12025550100 is not a number" } });
    await new TracingCaller(invalid, telemetry.tracer!, () => "closed").send(adapter, message({ country: "US", reason: { kind: "start" } }));
    expect(attemptSpan().attributes).toMatchObject({ "verifyd.attempt.outcome": "rejected", "verifyd.attempt.error_kind": "invalid_number" });
    expect(attemptSpan().status.message).toBe("invalid_number: +12*****0100 is not a number");
  });

  test("timer work's span is named for the attempt's reason and parents the attempt", async () => {
    const caller = new TracingCaller(answering({ ok: true, providerMessageId: "m-1" }), telemetry.tracer!, () => "closed");
    const verification = record([attempt(1, "sim-a", { kind: "start" })]);
    for (const reason of [failover(CAUSES.no_receipt), { kind: "takeover" } as const]) {
      await traceTimerWork(async () => void (await caller.send(adapter, message({ country: "US", reason }))))(verification);
    }
    const spans = exporter.getFinishedSpans();
    const slow = spans.find((span) => span.name === "resend (no_receipt)")!;
    const takeover = spans.find((span) => span.name === "resend (takeover)")!;
    expect(slow.attributes).toMatchObject({ "verifyd.attempt.reason": "no_receipt", "verifyd.failover.reason": "no_receipt", "verifyd.verification.id": "ver_t" });
    expect(takeover.attributes).toMatchObject({ "verifyd.attempt.reason": "takeover" });
    expect(takeover.attributes["verifyd.failover.reason"]).toBeUndefined();
    const attempts = spans.filter((span) => span.name === "send sim-b");
    expect(attempts.map((span) => span.parentSpanContext?.spanId)).toEqual([slow.spanContext().spanId, takeover.spanContext().spanId]);
  });

  test("traceCalls fits GatewayOptions.decorate: attempt spans read the breaker state it is given; the identity with tracing off", async () => {
    const sources: MetricSources = { providers: new Map(), breakerState: () => "closed", costOf: () => 0, timersInFlight: () => 0 };
    const inner = answering({ ok: true, providerMessageId: "m-1" });
    const traced = instrumentApp(telemetry, sources).traceCalls(inner, () => "half_open");
    await traced.send(adapter, message({ country: "US", reason: { kind: "start" } }));
    expect(attemptSpan().attributes["verifyd.breaker.state"]).toBe("half_open");
    const off = startTelemetry({ env: { OTEL_METRICS_EXPORTER: "none" } });
    expect(instrumentApp(off, sources).traceCalls(inner, () => "closed")).toBe(inner);
    await off.shutdown();
  });
});

describe("stored trace context", () => {
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  test("a stored traceparent becomes a remote parent and a link; a malformed one becomes nothing", () => {
    expect(spanContextOf(traceparent)).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", isRemote: true });
    expect(trace.getSpanContext(contextOf(traceparent))?.spanId).toBe("00f067aa0ba902b7");
    expect(linksTo(traceparent, "armed by")).toEqual([
      { context: expect.objectContaining({ spanId: "00f067aa0ba902b7" }), attributes: { "verifyd.link": "armed by" } },
    ]);
    expect(spanContextOf("00-zz-yy-01")).toBeUndefined();
    expect(trace.getSpanContext(contextOf(undefined))).toBeUndefined();
    expect(linksTo(undefined, "armed by")).toEqual([]);
  });
});

describe("composing observers", () => {
  test("every observer sees every batch, even after one of them throws", () => {
    const seen: string[] = [];
    const observer = composeObservers(
      () => seen.push("scorer"),
      () => {
        throw new Error("metrics broke");
      },
      () => seen.push("spans"),
      undefined,
    );
    observer!([]);
    expect(seen).toEqual(["scorer", "spans"]);
  });

  test("one observer is used as it is; none gives none", () => {
    const only = () => {};
    expect(composeObservers(undefined, only)).toBe(only);
    expect(composeObservers(undefined, undefined)).toBeUndefined();
  });
});
