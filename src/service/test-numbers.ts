import { parsePhoneNumberWithError } from "libphonenumber-js/max";
import { VerifyError } from "../verification/errors.js";
import type { Channel, VerificationRecord } from "../verification/model.js";
import { DuplicateKeyError } from "../verification/ports.js";
import { expire } from "../verification/transitions/index.js";
import { newTestVerification } from "../verification/transitions/test-number.js";
import { validateClientIp, validateLocale, validateMetadata } from "../verification/validation.js";
import type { ServiceDeps } from "./deps.js";

/** What a test number's Start reads of StartInput. */
export interface TestStartInput {
  phoneNumber: string;
  channel?: Channel;
  locale?: string;
  clientIp?: string;
  metadata?: Record<string, string>;
}

/** The fixed code of a test number, when `phoneNumber` (as written, E.164) is one. */
export function testCodeFor(deps: ServiceDeps, phoneNumber: string): string | undefined {
  return deps.testNumbers?.get(phoneNumber.trim());
}

export function isTestNumber(deps: ServiceDeps, phoneNumber: string): boolean {
  return deps.testNumbers?.has(phoneNumber) ?? false;
}

/**
 * Start for a test number: no provider, no rate limit, no fraud guard, no
 * score. The active verification answers again while it lasts (its code is
 * the same fixed one); otherwise a new one, SUBMITTED at once through the
 * `test` provider, whose code is the configured one. Idempotency keys are
 * not kept: every Start answers from the number's active verification.
 */
export async function startTestNumber(deps: ServiceDeps, input: TestStartInput, code: string): Promise<VerificationRecord> {
  const phoneNumber = input.phoneNumber.trim();
  const metadata = input.metadata ?? {};
  validateMetadata(metadata);
  const locale = validateLocale(input.locale, deps.policy.defaultLocale);
  const clientIp = validateClientIp(input.clientIp);
  const active = await deps.store.findActiveByPhone(phoneNumber);
  if (active && deps.clock.now() < active.expiresAt) return active;
  if (active) await deps.writer.apply(active.id, expire);
  const id = `ver_${deps.random.bytes(15).toString("base64url")}`;
  const record = newTestVerification(
    {
      id,
      phoneNumber,
      country: countryOf(phoneNumber),
      channel: input.channel ?? "sms",
      codeLength: code.length,
      codeHash: deps.vault.hash(id, code),
      sealedCode: deps.vault.seal(id, code),
      locale,
      metadata,
      requestFingerprint: "",
      clientIp,
    },
    deps.policy,
    deps.clock.now(),
  );
  try {
    await deps.store.insert(record);
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    const winner = await deps.store.findActiveByPhone(phoneNumber);
    if (winner) return winner;
    throw VerifyError.unavailable("could not create the verification; try again", error);
  }
  return record;
}

/** A test number need not be a valid number (+447700900123 is a drama number): its country as far as the plan tells. */
function countryOf(phoneNumber: string): string {
  try {
    return parsePhoneNumberWithError(phoneNumber).country ?? "ZZ";
  } catch {
    return "ZZ";
  }
}
