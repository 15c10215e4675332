import { describe, expect, test } from "vitest";
import type { DeliveryReport } from "../../../src/verification/ports.js";
import { applyReceipt, attemptForReport, MAX_HELD_REPORTS } from "../../../src/verification/transitions/receipt.js";
import { attempt, frozen, record, submitted, T0, TTL, WINDOW } from "../support/builders.js";

const NOW = T0 + 10_000;
const AT = T0 + 9_000;

function report(state: DeliveryReport["state"], overrides: Partial<DeliveryReport> = {}): DeliveryReport {
  return { provider: "sms-a", state, providerMessageId: "m-1", providerStatus: state.toUpperCase(), at: AT, ...overrides };
}

/** Two attempts: sms-a timed out, sms-b submitted and latest. */
function twoAttempts(overrides: Parameters<typeof record>[0] = {}) {
  return record({
    attempts: [
      attempt({ number: 1, provider: "sms-a", status: "timed_out", providerMessageId: "m-1", submittedAt: T0 }),
      attempt({ number: 2, provider: "sms-b", status: "submitted", providerMessageId: "m-2", submittedAt: T0 + WINDOW }),
    ],
    dueAt: T0 + 2 * WINDOW,
    ...overrides,
  });
}

describe("applyReceipt: reports that do not concern the attempt", () => {
  test("a report for an attempt number the record does not have is not this attempt", () => {
    expect(applyReceipt(submitted(), 2, report("delivered"), NOW)).toEqual({ unchanged: true, result: "not_this_attempt" });
    expect(applyReceipt(submitted(), 0, report("delivered"), NOW)).toEqual({ unchanged: true, result: "not_this_attempt" });
  });

  test("a report from another provider than the attempt's is not this attempt", () => {
    expect(applyReceipt(submitted(), 1, report("delivered", { provider: "sms-b" }), NOW)).toEqual({ unchanged: true, result: "not_this_attempt" });
  });

  test("a report carrying another message id than the attempt's is not this attempt", () => {
    expect(applyReceipt(submitted(), 1, report("delivered", { providerMessageId: "m-9" }), NOW)).toEqual({ unchanged: true, result: "not_this_attempt" });
  });

  test("a report without a message id changes nothing: only the message id binds a receipt to its attempt", () => {
    expect(applyReceipt(submitted(), 1, report("delivered", { providerMessageId: undefined }), NOW)).toEqual({ unchanged: true, result: "not_this_attempt" });
  });
});

describe("applyReceipt: intermediate", () => {
  test("keeps the provider's status without moving the attempt, the verification or its timer", () => {
    const current = frozen(submitted());

    const outcome = applyReceipt(current, 1, report("intermediate", { providerStatus: "queued" }), NOW);

    expect(outcome).toEqual({
      record: { ...current, attempts: [{ ...current.attempts[0]!, providerStatus: "queued" }] },
      events: [],
      effects: [],
      result: "applied",
    });
  });

  test("a report for an attempt still being sent is held, not applied: its message id is not known yet", () => {
    const sending = frozen(record({ status: "pending", attempts: [attempt({ number: 1, status: "sending" })] }));

    const early = report("delivered", { providerMessageId: "m-new", providerStatus: "DELIVRD" });
    const outcome = applyReceipt(sending, 1, early, NOW);

    expect(outcome).toEqual({
      record: {
        ...sending,
        attempts: [
          { ...sending.attempts[0]!, heldReports: [{ state: "delivered", providerMessageId: "m-new", providerStatus: "DELIVRD", error: undefined, at: early.at }] },
        ],
      },
      events: [],
      effects: [],
      result: "held",
    });
  });

  test("at most MAX_HELD_REPORTS are held per attempt, and none for an attempt that was never accepted", () => {
    let current = record({ status: "pending", attempts: [attempt({ number: 1, status: "sending" })] });
    for (let i = 0; i < MAX_HELD_REPORTS; i++) {
      const outcome = applyReceipt(current, 1, report("intermediate", { providerMessageId: `m-${i}` }), NOW);
      if (!("record" in outcome)) throw new Error("expected the report to be held");
      current = outcome.record;
    }
    expect(applyReceipt(current, 1, report("intermediate", { providerMessageId: "m-extra" }), NOW)).toEqual({ unchanged: true, result: "not_this_attempt" });
    const rejected = record({ attempts: [attempt({ number: 1, status: "rejected" })] });
    expect(applyReceipt(rejected, 1, report("delivered", { providerMessageId: "m-1" }), NOW)).toEqual({ unchanged: true, result: "not_this_attempt" });
  });

  test("the same intermediate status again changes nothing", () => {
    const current = submitted(T0, { attempts: [attempt({ number: 1, providerMessageId: "m-1", providerStatus: "queued", submittedAt: T0 })] });

    expect(applyReceipt(current, 1, report("intermediate", { providerStatus: "queued" }), NOW)).toEqual({ unchanged: true, result: "applied" });
  });

  test.each(["delivered", "undelivered"] as const)("a late intermediate status never moves a %s attempt back", (status) => {
    const current = record({ attempts: [attempt({ number: 1, status, providerMessageId: "m-1", providerStatus: "FINAL" })] });

    expect(applyReceipt(current, 1, report("intermediate", { providerStatus: "sent" }), NOW)).toEqual({ unchanged: true, result: "applied" });
  });
});

describe("applyReceipt: delivered", () => {
  test("marks the attempt and the verification delivered, leaves only expiry to watch and announces it", () => {
    const current = frozen(submitted());

    const outcome = applyReceipt(current, 1, report("delivered", { providerStatus: "DELIVRD" }), NOW);

    expect(outcome).toEqual({
      record: {
        ...current,
        status: "delivered",
        dueAt: T0 + TTL,
        attempts: [{ ...current.attempts[0]!, status: "delivered", deliveredAt: AT, providerStatus: "DELIVRD" }],
      },
      events: [{ type: "delivered", provider: "sms-a", attemptNumber: 1 }],
      effects: [],
      result: "applied",
    });
  });

  test("a duplicate delivered report changes nothing", () => {
    const once = applyReceipt(submitted(), 1, report("delivered"), NOW);
    if ("unchanged" in once) throw new Error("expected a change");

    expect(applyReceipt(once.record, 1, report("delivered"), NOW + 1)).toEqual({ unchanged: true, result: "applied" });
  });

  test("a late delivered for an older, timed-out attempt still marks the verification delivered", () => {
    const outcome = applyReceipt(twoAttempts(), 1, report("delivered"), NOW);

    expect(outcome).toMatchObject({
      record: { status: "delivered", dueAt: T0 + TTL, attempts: [{ status: "delivered" }, { status: "submitted" }] },
      events: [{ type: "delivered", provider: "sms-a", attemptNumber: 1 }],
    });
  });

  test("delivered after undelivered wins: the message did arrive", () => {
    const current = submitted(T0, {
      attempts: [attempt({ number: 1, status: "undelivered", providerMessageId: "m-1", error: { kind: "undelivered", message: "x" } })],
    });

    expect(applyReceipt(current, 1, report("delivered"), NOW)).toMatchObject({ record: { status: "delivered", attempts: [{ status: "delivered" }] } });
  });

  test("on a finished verification marks the attempt but keeps the verification's status and cleared timer", () => {
    const done = submitted(T0, { status: "verified", dueAt: undefined });

    const outcome = applyReceipt(done, 1, report("delivered"), NOW);

    expect(outcome).toMatchObject({ record: { status: "verified", dueAt: undefined, attempts: [{ status: "delivered" }] }, events: [{ type: "delivered" }] });
  });
});

describe("applyReceipt: undelivered", () => {
  test("on the latest attempt marks it undelivered with the provider's error, makes failover due now and wakes the timers", () => {
    const current = frozen(submitted());

    const outcome = applyReceipt(current, 1, report("undelivered", { providerStatus: "UNDELIV", error: "absent subscriber" }), NOW);

    const error = { kind: "undelivered", message: "absent subscriber" };
    expect(outcome).toEqual({
      record: { ...current, dueAt: NOW, attempts: [{ ...current.attempts[0]!, status: "undelivered", error, providerStatus: "UNDELIV" }] },
      events: [{ type: "undelivered", provider: "sms-a", attemptNumber: 1, error }],
      effects: [{ kind: "wake_timers" }],
      result: "applied",
    });
  });

  test("the error message falls back to the provider's status word, then to 'undelivered'", () => {
    expect(applyReceipt(submitted(), 1, report("undelivered", { providerStatus: "FAILED", error: undefined }), NOW)).toMatchObject({
      record: { attempts: [{ error: { kind: "undelivered", message: "FAILED" } }] },
    });
    expect(applyReceipt(submitted(), 1, report("undelivered", { providerStatus: undefined, error: undefined }), NOW)).toMatchObject({
      record: { attempts: [{ error: { kind: "undelivered", message: "undelivered" } }] },
    });
  });

  test("on an older attempt is recorded, but neither moves the timer nor wakes it", () => {
    const current = twoAttempts();

    const outcome = applyReceipt(current, 1, report("undelivered"), NOW);

    expect(outcome).toMatchObject({ record: { dueAt: T0 + 2 * WINDOW, attempts: [{ status: "undelivered" }, { status: "submitted" }] }, effects: [] });
    expect(outcome).toMatchObject({ events: [{ type: "undelivered", attemptNumber: 1 }] });
  });

  test("on the latest attempt of a verification another attempt delivered, triggers no failover", () => {
    const current = twoAttempts({ status: "delivered", dueAt: T0 + TTL });

    const outcome = applyReceipt(current, 2, report("undelivered", { provider: "sms-b", providerMessageId: "m-2" }), NOW);

    expect(outcome).toMatchObject({ record: { status: "delivered", dueAt: T0 + TTL, attempts: [{}, { status: "undelivered" }] }, effects: [] });
  });

  test("on the latest attempt of a finished verification, triggers no failover", () => {
    const done = submitted(T0, { status: "canceled", dueAt: undefined });

    expect(applyReceipt(done, 1, report("undelivered"), NOW)).toMatchObject({ record: { status: "canceled", dueAt: undefined }, effects: [] });
  });

  test("never overwrites delivered", () => {
    const delivered = submitted(T0, { status: "delivered", attempts: [attempt({ number: 1, status: "delivered", providerMessageId: "m-1" })] });

    expect(applyReceipt(delivered, 1, report("undelivered"), NOW)).toEqual({ unchanged: true, result: "applied" });
  });

  test("a duplicate undelivered report changes nothing", () => {
    const once = applyReceipt(submitted(), 1, report("undelivered"), NOW);
    if ("unchanged" in once) throw new Error("expected a change");

    expect(applyReceipt(once.record, 1, report("undelivered"), NOW + 1)).toEqual({ unchanged: true, result: "applied" });
  });
});

describe("attemptForReport", () => {
  const current = twoAttempts();

  test("uses the attempt number of the reference the report carried", () => {
    expect(attemptForReport(current, report("delivered", { reference: { verificationId: current.id, attemptNumber: 2 } }))).toBe(2);
  });

  test("without a reference, finds the attempt by provider and message id", () => {
    expect(attemptForReport(current, report("delivered", { provider: "sms-b", providerMessageId: "m-2" }))).toBe(2);
    expect(attemptForReport(current, report("delivered", { provider: "sms-a", providerMessageId: "m-1" }))).toBe(1);
  });

  test("a message id under another provider finds nothing", () => {
    expect(attemptForReport(current, report("delivered", { provider: "sms-b", providerMessageId: "m-1" }))).toBeUndefined();
  });

  test("an unknown message id finds nothing", () => {
    expect(attemptForReport(current, report("delivered", { providerMessageId: "m-404" }))).toBeUndefined();
  });
});
