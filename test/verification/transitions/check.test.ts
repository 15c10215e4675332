import { describe, expect, test } from "vitest";
import { checkCode } from "../../../src/verification/transitions/check.js";
import { FINISHED, frozen, record, T0, TTL } from "../support/builders.js";

const NOW = T0 + 1_000;
const LEASE = { owner: "me", until: NOW + 5_000 };

describe("checkCode", () => {
  test.each(FINISHED)("a %s verification is left unchanged and never approves, even with the right code", (status) => {
    const finished = frozen(record({ status }));

    expect(checkCode(finished, true, NOW)).toEqual({ unchanged: true, result: false });
    expect(checkCode(finished, false, NOW)).toEqual({ unchanged: true, result: false });
  });

  test("a right code at exactly expiresAt expires the verification instead of approving it", () => {
    const active = frozen(record({ dueAt: T0 + TTL, lease: LEASE }));

    const outcome = checkCode(active, true, T0 + TTL);

    expect(outcome).toEqual({
      record: { ...active, status: "expired", sealedCode: undefined, dueAt: undefined, lease: undefined },
      events: [{ type: "expired" }],
      effects: [],
      result: false,
    });
  });

  test("a wrong code after expiry expires without using up a check attempt", () => {
    const outcome = checkCode(record(), false, T0 + TTL + 1);

    expect(outcome).toMatchObject({ record: { status: "expired", checkAttemptsRemaining: 3 }, events: [{ type: "expired" }], result: false });
  });

  test("a right code one millisecond before expiry approves", () => {
    const outcome = checkCode(record(), true, T0 + TTL - 1);

    expect(outcome).toMatchObject({ record: { status: "verified", verifiedAt: T0 + TTL - 1 }, result: true });
  });

  test("a right code verifies, stamps verifiedAt, erases the sealed code and clears the timer and lease", () => {
    const active = frozen(record({ status: "delivered", dueAt: T0 + TTL, lease: LEASE }));

    const outcome = checkCode(active, true, NOW);

    expect(outcome).toEqual({
      record: { ...active, status: "verified", verifiedAt: NOW, sealedCode: undefined, dueAt: undefined, lease: undefined },
      events: [{ type: "verified" }],
      effects: [],
      result: true,
    });
  });

  test("a wrong code uses up one attempt and says how many are left, keeping the code, timer and lease", () => {
    const active = frozen(record({ checkAttemptsRemaining: 3, dueAt: T0 + 30_000, lease: LEASE }));

    const outcome = checkCode(active, false, NOW);

    expect(outcome).toEqual({
      record: { ...active, checkAttemptsRemaining: 2 },
      events: [{ type: "check_failed", attemptsLeft: 2 }],
      effects: [],
      result: false,
    });
  });

  test("the last wrong code locks the verification, erases the code and clears its timer", () => {
    const active = frozen(record({ checkAttemptsRemaining: 1, dueAt: T0 + 30_000, lease: LEASE }));

    const outcome = checkCode(active, false, NOW);

    expect(outcome).toEqual({
      record: { ...active, status: "locked", checkAttemptsRemaining: 0, sealedCode: undefined, dueAt: undefined, lease: undefined },
      events: [{ type: "locked", attemptsLeft: 0 }],
      effects: [],
      result: false,
    });
  });

  test("an active record with no attempts left (never stored so, but possible) locks on a wrong code rather than going negative", () => {
    const outcome = checkCode(record({ checkAttemptsRemaining: 0 }), false, NOW);

    expect(outcome).toMatchObject({ record: { status: "locked", checkAttemptsRemaining: 0 }, events: [{ type: "locked", attemptsLeft: 0 }], result: false });
  });

  test("the right code on the last attempt still approves", () => {
    expect(checkCode(record({ checkAttemptsRemaining: 1 }), true, NOW)).toMatchObject({ record: { status: "verified" }, result: true });
  });

  test("a verification locked by wrong codes never approves the right code afterwards", () => {
    let current = record({ checkAttemptsRemaining: 3 });
    const answers: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = checkCode(current, false, NOW + i);
      if ("unchanged" in outcome) throw new Error("a wrong code must change the record");
      current = outcome.record;
      answers.push(outcome.result);
    }

    expect(current.status).toBe("locked");
    expect(answers).toEqual([false, false, false]);
    expect(checkCode(current, true, NOW + 10)).toEqual({ unchanged: true, result: false });
  });

  test("a verified verification does not approve a second time", () => {
    const first = checkCode(record(), true, NOW);
    if ("unchanged" in first) throw new Error("expected a change");

    expect(checkCode(first.record, true, NOW + 1)).toEqual({ unchanged: true, result: false });
  });
});
