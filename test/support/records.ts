import type { VerificationRecord } from "../../src/verification/model.js";

let counter = 0;

/** A minimal, valid, active record; override what the test is about. */
export function makeRecord(overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  counter++;
  return {
    id: `ver_test_${counter}`,
    phoneNumber: `+1202555${String(1000 + (counter % 9000)).padStart(4, "0")}`,
    country: "US",
    channel: "sms",
    status: "submitted",
    attempts: [],
    createdAt: 0,
    updatedAt: 0,
    expiresAt: 600_000,
    checkAttemptsRemaining: 5,
    fallbackChannels: [],
    codeLength: 6,
    codeHash: "hash",
    locale: "en",
    metadata: {},
    requestFingerprint: "fingerprint",
    sequence: 0,
    version: 0,
    ...overrides,
  };
}
