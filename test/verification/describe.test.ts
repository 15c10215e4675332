import { describe, expect, test } from "vitest";
import { describeAttempts, describeCause, describeError, describeEvent, describeReason, describeSkipped } from "../../src/verification/describe.js";
import { attempt, record } from "./support/builders.js";

const OPEN = { provider: "sms-z", why: "breaker_open" } as const;

describe("describe.ts wording", () => {
  test("an error is its kind and the provider's words", () => {
    expect(describeError({ kind: "no_route", message: "no route to US" })).toBe("no_route: no route to US");
  });

  test.each([
    [{ kind: "rejected", error: { kind: "auth", message: "bad key" } }, "rejected: auth"],
    [{ kind: "no_receipt" }, "no_receipt"],
    [{ kind: "undelivered" }, "undelivered"],
    [{ kind: "escalated", from: "sms", to: "voice" }, "escalated to voice"],
  ] as const)("the failover cause %j reads %j", (cause, words) => {
    expect(describeCause(cause)).toBe(words);
  });

  test("a failover reason reads as its cause; any other reason as its kind", () => {
    expect(describeReason({ kind: "failover", cause: { kind: "no_receipt" } })).toBe("no_receipt");
    expect(describeReason({ kind: "start" })).toBe("start");
    expect(describeReason({ kind: "resend" })).toBe("resend");
    expect(describeReason({ kind: "takeover" })).toBe("takeover");
  });

  test("passed-over providers read with an open breaker as 'circuit open'", () => {
    expect(describeSkipped([OPEN, { provider: "sms-y", why: "breaker_open" }])).toBe("skipped sms-z (circuit open), sms-y (circuit open)");
  });

  test("a passed-over reason other than an open breaker reads as itself", () => {
    // Only breaker_open exists today; a new reason must still read as something.
    expect(describeSkipped([{ provider: "p", why: "maintenance" as never }])).toBe("skipped p (maintenance)");
  });
});

describe("describeEvent", () => {
  test.each([
    [{ type: "failover", cause: { kind: "no_receipt" } }, "no_receipt"],
    [{ type: "failover" }, ""],
    [{ type: "rejected", error: { kind: "no_route", message: "x" } }, "no_route: x"],
    [{ type: "rejected" }, ""],
    [{ type: "undelivered", error: { kind: "undelivered", message: "absent" } }, "undelivered: absent"],
    [{ type: "undelivered" }, ""],
    [{ type: "check_failed", attemptsLeft: 2 }, "wrong code; 2 attempts left"],
    [{ type: "check_failed" }, "wrong code; 0 attempts left"],
    [{ type: "locked", attemptsLeft: 0 }, "too many wrong codes"],
    [{ type: "fallback_available", offered: ["voice", "whatsapp"] }, "providers exhausted; offer voice, whatsapp"],
    [{ type: "fallback_available" }, "providers exhausted; offer "],
    [{ type: "failed" }, "no provider on any channel could take the message"],
    [{ type: "submitted" }, ""],
    [{ type: "delivered" }, ""],
    [{ type: "verified" }, ""],
    [{ type: "expired" }, ""],
    [{ type: "canceled" }, ""],
    [{ type: "snapshot" }, ""],
  ] as const)("%j reads %j", (event, words) => {
    expect(describeEvent(event as never)).toBe(words);
  });

  test("passed-over providers follow the main reason after a semicolon", () => {
    expect(describeEvent({ type: "rejected", error: { kind: "no_route", message: "x" }, skipped: [OPEN] })).toBe("no_route: x; skipped sms-z (circuit open)");
  });

  test("passed-over providers alone read without a leading semicolon", () => {
    expect(describeEvent({ type: "submitted", skipped: [OPEN] })).toBe("skipped sms-z (circuit open)");
  });

  test("an empty passed-over list adds nothing", () => {
    expect(describeEvent({ type: "failed", skipped: [] })).toBe("no provider on any channel could take the message");
  });
});

describe("describeAttempts", () => {
  test("lists every attempt with its error, or its status when it has none", () => {
    const failed = record({
      attempts: [
        attempt({ number: 1, provider: "sms-a", status: "rejected", error: { kind: "no_route", message: "x" } }),
        attempt({ number: 2, provider: "sms-b", status: "timed_out" }),
      ],
    });

    expect(describeAttempts(failed)).toBe("sms-a (no_route: x), sms-b (timed_out)");
  });

  test("ends with every provider passed over, each named once, the attempts' first then the ones given", () => {
    const failed = record({
      attempts: [
        attempt({ number: 1, provider: "sms-a", status: "rejected", skipped: [OPEN] }),
        attempt({ number: 2, provider: "sms-b", status: "rejected", skipped: [OPEN, { provider: "sms-y", why: "breaker_open" }] }),
      ],
    });

    expect(describeAttempts(failed, [{ provider: "sms-x", why: "breaker_open" }, OPEN])).toBe(
      "sms-a (rejected), sms-b (rejected), skipped sms-z (circuit open), sms-y (circuit open), sms-x (circuit open)",
    );
  });

  test("with only passed-over providers, names them", () => {
    expect(describeAttempts(record(), [OPEN])).toBe("skipped sms-z (circuit open)");
  });

  test("with no attempt and nobody passed over, says no provider is routed for the country", () => {
    expect(describeAttempts(record({ country: "DE" }))).toBe("no provider is routed for DE");
  });
});
