import { describe, expect, test } from "vitest";
import { countryLabel, errorKindOf, failoverReasonOf, skippedForOpenBreaker } from "../../src/telemetry/attributes.js";
import { composeObservers } from "../../src/telemetry/app-telemetry.js";
import { contextOf, linksTo, spanContextOf } from "../../src/telemetry/trace-context.js";
import { trace } from "@opentelemetry/api";

describe("reading the domain's reasons as labels", () => {
  test("failover reasons map to a closed set; reasons that are not failovers map to nothing", () => {
    expect(failoverReasonOf("rejected: no_route")).toBe("rejected");
    expect(failoverReasonOf("no_receipt")).toBe("no_receipt");
    expect(failoverReasonOf("undelivered; skipped sim-a (circuit open (table position 1))")).toBe("undelivered");
    expect(failoverReasonOf("escalated to voice")).toBe("escalated");
    expect(failoverReasonOf("start")).toBeUndefined();
    expect(failoverReasonOf("resend")).toBeUndefined();
    expect(failoverReasonOf(undefined)).toBeUndefined();
  });

  test("providers skipped for an open breaker are read from the event reason, nested parentheses and all", () => {
    expect(skippedForOpenBreaker("skipped sim-a (circuit open (table position 1))")).toEqual(["sim-a"]);
    expect(skippedForOpenBreaker("rejected: unavailable; skipped sim_b (circuit open (demoted: score 0.100)), sim-c (circuit open (exploration (score 0.2)))")).toEqual([
      "sim_b",
      "sim-c",
    ]);
    expect(skippedForOpenBreaker("no_route: simulated no_route")).toEqual([]);
    expect(skippedForOpenBreaker(undefined)).toEqual([]);
  });

  test("error kinds come from the head of an attempt's error; anything else is 'other'", () => {
    expect(errorKindOf("no_route: simulated no_route")).toBe("no_route");
    expect(errorKindOf("unavailable: circuit open: provider skipped")).toBe("unavailable");
    expect(errorKindOf("something odd")).toBe("other");
    expect(errorKindOf(undefined)).toBe("other");
  });

  test("countries are ISO codes or 'unknown', so the label set stays bounded", () => {
    expect(countryLabel("ID")).toBe("ID");
    expect(countryLabel("001")).toBe("unknown");
    expect(countryLabel(undefined)).toBe("unknown");
  });
});

describe("stored trace context", () => {
  const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  test("a stored traceparent becomes a remote parent and a link; a malformed one becomes nothing", () => {
    expect(spanContextOf(traceparent)).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", isRemote: true });
    expect(trace.getSpanContext(contextOf(traceparent))?.spanId).toBe("00f067aa0ba902b7");
    expect(linksTo(traceparent, "armed by")).toEqual([{ context: expect.objectContaining({ spanId: "00f067aa0ba902b7" }), attributes: { "verifyd.link": "armed by" } }]);
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
