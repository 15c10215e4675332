import type { VerificationRecord } from "../model.js";
import type { VerificationPolicy } from "../policy.js";
import { type NewVerification, newVerification } from "./start.js";

/** The provider name a test number's one attempt carries: nothing is ever sent. */
export const TEST_PROVIDER = "test";

/**
 * A verification for a test number (app-store review, QA): SUBMITTED at
 * once through the `test` provider, with no lease and no delivery window, so
 * no timer ever fails it over to a real provider; its only due time is
 * expiry. Checked like any other: capped attempts, single use, expiring.
 */
export function newTestVerification(input: Omit<NewVerification, "firstProvider" | "firstSkipped">, policy: VerificationPolicy, now: number): VerificationRecord {
  const record = newVerification({ ...input, firstProvider: TEST_PROVIDER }, policy, now, { owner: TEST_PROVIDER, until: now });
  const attempt = { ...record.attempts[0]!, status: "submitted" as const, submittedAt: now, providerMessageId: `${TEST_PROVIDER}-${input.id}` };
  return { ...record, status: "submitted", attempts: [attempt], lastSendAt: now, lease: undefined, dueAt: record.expiresAt };
}
