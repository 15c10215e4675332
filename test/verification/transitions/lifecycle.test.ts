import { describe, expect, test } from "vitest";
import { VerifyError } from "../../../src/verification/errors.js";
import { cancel, expire, releaseIdempotencyKey, settleFinished, sleepUntilDue } from "../../../src/verification/transitions/lifecycle.js";
import { ACTIVE, attempt, FINISHED, frozen, record, submitted, T0, TTL, WINDOW } from "../support/builders.js";

const LEASE = { owner: "timers", until: T0 + 5_000 };

describe("cancel", () => {
  test.each(ACTIVE)("cancels a %s verification with a canceled event, erasing the code and clearing timer and lease", (status) => {
    const active = frozen(record({ status, dueAt: T0 + WINDOW, lease: LEASE }));

    expect(cancel(active)).toEqual({
      record: { ...active, status: "canceled", sealedCode: undefined, dueAt: undefined, lease: undefined },
      events: [{ type: "canceled" }],
      effects: [],
      result: undefined,
    });
  });

  test.each(FINISHED)("refuses a %s verification with failed_precondition naming its status", (status) => {
    let thrown: unknown;
    try {
      cancel(record({ status }));
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(VerifyError);
    expect(thrown).toMatchObject({ kind: "failed_precondition", message: `verification is already ${status}` });
  });
});

describe("expire", () => {
  test.each(ACTIVE)("expires a %s verification with an expired event, erasing the code and clearing timer and lease", (status) => {
    const active = frozen(record({ status, dueAt: T0 + TTL, lease: LEASE }));

    expect(expire(active)).toEqual({
      record: { ...active, status: "expired", sealedCode: undefined, dueAt: undefined, lease: undefined },
      events: [{ type: "expired" }],
      effects: [],
      result: undefined,
    });
  });

  test.each(FINISHED)("leaves a %s verification unchanged", (status) => {
    expect(expire(record({ status }))).toEqual({ unchanged: true, result: undefined });
  });
});

describe("settleFinished", () => {
  test("expires a verification that has not finished yet", () => {
    const active = frozen(record({ status: "submitted", dueAt: T0 + TTL, lease: LEASE }));

    expect(settleFinished(active)).toEqual({
      record: { ...active, status: "expired", sealedCode: undefined, dueAt: undefined, lease: undefined },
      events: [{ type: "expired" }],
      effects: [],
      result: undefined,
    });
  });

  test("clears the timer and lease of a finished verification without an event, keeping its status", () => {
    const done = frozen(record({ status: "verified", sealedCode: undefined, dueAt: T0 + TTL, lease: LEASE }));

    expect(settleFinished(done)).toEqual({ record: { ...done, dueAt: undefined, lease: undefined }, events: [], effects: [], result: undefined });
  });

  test("a finished verification with only a timer left still gets it cleared", () => {
    expect(settleFinished(record({ status: "locked", dueAt: T0 }))).toMatchObject({ record: { status: "locked", dueAt: undefined }, events: [] });
  });

  test("a finished verification with only a lease left still gets it cleared", () => {
    expect(settleFinished(record({ status: "canceled", lease: LEASE }))).toMatchObject({ record: { status: "canceled", lease: undefined }, events: [] });
  });

  test("a finished verification with neither timer nor lease is left unchanged", () => {
    expect(settleFinished(record({ status: "failed" }))).toEqual({ unchanged: true, result: undefined });
  });
});

describe("releaseIdempotencyKey", () => {
  test("leaves a verification holding another key unchanged", () => {
    expect(releaseIdempotencyKey(record({ idempotencyKey: "other" }), "mine")).toEqual({ unchanged: true, result: undefined });
  });

  test("leaves a verification holding no key unchanged", () => {
    expect(releaseIdempotencyKey(record(), "mine")).toEqual({ unchanged: true, result: undefined });
  });

  test("releases the key of an active verification and expires it", () => {
    const active = frozen(record({ idempotencyKey: "mine", dueAt: T0 + TTL, lease: LEASE }));

    expect(releaseIdempotencyKey(active, "mine")).toEqual({
      record: { ...active, idempotencyKey: undefined, status: "expired", sealedCode: undefined, dueAt: undefined, lease: undefined },
      events: [{ type: "expired" }],
      effects: [],
      result: undefined,
    });
  });

  test("releases the key of a finished verification without an event, keeping its status", () => {
    const done = frozen(record({ status: "verified", idempotencyKey: "mine", sealedCode: undefined }));

    expect(releaseIdempotencyKey(done, "mine")).toEqual({ record: { ...done, idempotencyKey: undefined }, events: [], effects: [], result: undefined });
  });
});

describe("sleepUntilDue", () => {
  test("gives up the lease and sleeps until the latest attempt's delivery window ends", () => {
    const active = frozen(submitted(T0, { lease: LEASE, dueAt: T0 }));

    expect(sleepUntilDue(active, WINDOW)).toEqual({ record: { ...active, lease: undefined, dueAt: T0 + WINDOW }, events: [], effects: [], result: undefined });
  });

  test("sleeps until expiry when the window would end after it", () => {
    const late = submitted(T0 + TTL - 10, { lease: LEASE });

    expect(sleepUntilDue(late, WINDOW)).toMatchObject({ record: { dueAt: T0 + TTL, lease: undefined } });
  });

  test("sleeps until expiry once the verification is delivered", () => {
    const delivered = submitted(T0, { status: "delivered", lease: LEASE });

    expect(sleepUntilDue(delivered, WINDOW)).toMatchObject({ record: { dueAt: T0 + TTL, lease: undefined } });
  });

  test("sleeps until expiry when the latest attempt timed out", () => {
    const timedOut = record({ attempts: [attempt({ number: 1, status: "timed_out", submittedAt: T0 })], lease: LEASE });

    expect(sleepUntilDue(timedOut, WINDOW)).toMatchObject({ record: { dueAt: T0 + TTL } });
  });
});
