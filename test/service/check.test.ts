import { describe, expect, test } from "vitest";
import { expectVerifyError } from "../support/expect-error.js";
import { createHarness, DEFAULT_POLICY, type Harness, PHONE } from "../support/service-harness.js";

/** Starts a verification and returns its id with the code the provider was given. */
async function started(h: Harness): Promise<{ id: string; code: string; wrong: string }> {
  const record = await h.service.start({ phoneNumber: PHONE });
  const code = h.provider("sms-a").sent[0]!.code;
  // Same length, every digit different: certainly not the code.
  const wrong = [...code].map((digit) => String((Number(digit) + 1) % 10)).join("");
  return { id: record.id, code, wrong };
}

describe("Check", () => {
  test("the right code is approved and the verification becomes VERIFIED", async () => {
    const h = createHarness();
    const { id, code } = await started(h);

    const result = await h.service.check(id, code);

    expect(result.approved).toBe(true);
    expect(result.verification.status).toBe("verified");
    expect(result.verification.sealedCode).toBeUndefined();
    expect(h.store.eventsFor(id).at(-1)?.type).toBe("verified");
  });

  test("an approved code never approves again", async () => {
    const h = createHarness();
    const { id, code } = await started(h);
    await h.service.check(id, code);

    const again = await h.service.check(id, code);

    expect(again.approved).toBe(false);
    expect(again.verification.status).toBe("verified");
    expect(h.store.eventsFor(id).filter((e) => e.type === "verified")).toHaveLength(1);
  });

  test("a wrong code is refused and uses up one check attempt", async () => {
    const h = createHarness();
    const { id, wrong } = await started(h);

    const result = await h.service.check(id, wrong);

    expect(result.approved).toBe(false);
    expect(result.verification.checkAttemptsRemaining).toBe(DEFAULT_POLICY.maxCheckAttempts - 1);
    expect(result.verification.status).toBe("submitted");
    expect(h.store.eventsFor(id).at(-1)?.type).toBe("check_failed");
  });

  test("a code of another length counts as a wrong code", async () => {
    const h = createHarness();
    const { id, code } = await started(h);

    const result = await h.service.check(id, `${code}0`);

    expect(result.approved).toBe(false);
    expect(result.verification.checkAttemptsRemaining).toBe(DEFAULT_POLICY.maxCheckAttempts - 1);
  });

  test("the last wrong code locks the verification, and the right code is refused after that", async () => {
    const h = createHarness();
    const { id, code, wrong } = await started(h);

    for (let i = 0; i < DEFAULT_POLICY.maxCheckAttempts; i++) await h.service.check(id, wrong);
    const afterLock = await h.service.check(id, code);

    expect(afterLock.approved).toBe(false);
    expect(afterLock.verification.status).toBe("locked");
    expect(afterLock.verification.checkAttemptsRemaining).toBe(0);
    expect(h.store.eventsFor(id).map((e) => e.type)).toContain("locked");
  });

  test("the right code checked at code_ttl is refused and the verification reads EXPIRED", async () => {
    const h = createHarness();
    const { id, code } = await started(h);
    h.clock.advance(DEFAULT_POLICY.codeTtlMs);

    const result = await h.service.check(id, code);

    expect(result.approved).toBe(false);
    expect(result.verification.status).toBe("expired");
    expect((await h.store.get(id))?.status).toBe("expired");
  });

  test("the right code checked just before code_ttl is approved", async () => {
    const h = createHarness();
    const { id, code } = await started(h);
    h.clock.advance(DEFAULT_POLICY.codeTtlMs - 1);

    expect((await h.service.check(id, code)).approved).toBe(true);
  });

  test("Check on a finished verification answers approved false with its status and changes nothing", async () => {
    const h = createHarness();
    const { id, code } = await started(h);
    await h.service.cancel(id);
    const before = await h.store.get(id);

    const result = await h.service.check(id, code);

    expect(result.approved).toBe(false);
    expect(result.verification.status).toBe("canceled");
    expect((await h.store.get(id))?.version).toBe(before?.version);
  });

  test("Check on an unknown id fails with not_found", async () => {
    const h = createHarness();

    await expectVerifyError(h.service.check("ver_unknown", "123456"), "not_found");
  });

  test("a code that is not 4 to 10 digits is invalid_argument and uses up no attempt", async () => {
    const h = createHarness();
    const { id } = await started(h);

    await expectVerifyError(h.service.check(id, "12a456"), "invalid_argument");

    expect((await h.store.get(id))?.checkAttemptsRemaining).toBe(DEFAULT_POLICY.maxCheckAttempts);
  });
});
