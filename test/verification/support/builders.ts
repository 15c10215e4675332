/**
 * Plain values for the pure-core suites: a record, an attempt, a policy.
 * No store, no timers; a clock, where one is needed, is FakeClock from
 * test/support/fakes.ts.
 */
import type { Attempt, VerificationRecord } from "../../../src/verification/model.js";
import type { VerificationPolicy } from "../../../src/verification/policy.js";

export const T0 = 1_700_000_000_000;
export const WINDOW = 30_000;
export const TTL = 600_000;
export const LEASE_MS = 5_000;
export const ID = "ver_abc";

export const POLICY: VerificationPolicy = {
  codeLength: 6,
  codeTtlMs: TTL,
  deliveryWindowMs: WINDOW,
  maxCheckAttempts: 3,
  resendMinIntervalMs: 30_000,
  autoEscalate: false,
  defaultLocale: "en",
  brand: "acme",
};

/** An attempt; `number` decides its idempotency key. */
export function attempt(overrides: Partial<Attempt> & Pick<Attempt, "number">): Attempt {
  return {
    provider: `sms-${String.fromCharCode(96 + overrides.number)}`,
    channel: "sms",
    status: "submitted",
    idempotencyKey: `${ID}-attempt-${overrides.number}`,
    startedAt: T0,
    ...overrides,
  };
}

/** An active record, created at T0, code valid for TTL. */
export function record(overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  return {
    id: ID,
    phoneNumber: "+12025550100",
    country: "US",
    channel: "sms",
    status: "submitted",
    attempts: [],
    createdAt: T0,
    updatedAt: T0,
    expiresAt: T0 + TTL,
    checkAttemptsRemaining: 3,
    fallbackChannels: [],
    codeLength: 6,
    codeHash: "hash",
    sealedCode: "sealed",
    locale: "en",
    metadata: {},
    requestFingerprint: "fp",
    sequence: 4,
    version: 7,
    ...overrides,
  };
}

/** A record whose only attempt was accepted at `submittedAt`. */
export function submitted(submittedAt = T0, overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  return record({
    attempts: [attempt({ number: 1, status: "submitted", providerMessageId: "m-1", submittedAt })],
    lastSendAt: submittedAt,
    dueAt: submittedAt + WINDOW,
    ...overrides,
  });
}

/** Deep-freezes a value, so a transition that alters its input throws in strict mode. */
export function frozen<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

export const FINISHED = ["verified", "failed", "expired", "locked", "canceled"] as const;
export const ACTIVE = ["pending", "submitted", "delivered"] as const;
