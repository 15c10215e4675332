import { sendCode } from "../dispatch/send-code.js";
import { unsealCode } from "../dispatch/timer-work.js";
import { VerifyError } from "../verification/errors.js";
import { type Channel, isFinished, type VerificationRecord } from "../verification/model.js";
import type { CallerSignal } from "../verification/ports.js";
import { cancel, checkCode, expire, resendTooSoon, sendingInProgress } from "../verification/transitions/index.js";
import { validateClientIp, validateCodeFormat, validateVerificationId } from "../verification/validation.js";
import { admitSend } from "./admit-send.js";
import type { ServiceDeps } from "./deps.js";
import { isTestNumber } from "./test-numbers.js";

export interface CheckResult {
  approved: boolean;
  verification: VerificationRecord;
}

/** Tests a code. A wrong one uses up an attempt; the last wrong one locks. */
export async function check(deps: ServiceDeps, verificationId: string, code: string, clientIp?: string): Promise<CheckResult> {
  validateVerificationId(verificationId);
  validateCodeFormat(code);
  // A test number's Check is not limited: the record says whether it is one (read once, handed to the write).
  const known = deps.testNumbers && deps.testNumbers.size > 0 ? await deps.writer.read(verificationId) : undefined;
  if (!known || !isTestNumber(deps, known.phoneNumber)) await deps.limits.consumeCheck(validateClientIp(clientIp));
  const { record, result } = await deps.writer.apply(
    verificationId,
    (current, now) => {
      const matches = code.length === current.codeLength && deps.vault.matches(current.id, code, current.codeHash);
      return checkCode(current, matches, now);
    },
    known,
  );
  return { approved: result, verification: record };
}

/** "Didn't get it": the same code again, on the same channel or the one asked for. */
export async function resend(
  deps: ServiceDeps,
  verificationId: string,
  options: { channel?: Channel; clientIp?: string; signal?: CallerSignal } = {},
): Promise<VerificationRecord> {
  const { channel, clientIp, signal } = options;
  validateVerificationId(verificationId);
  const ip = validateClientIp(clientIp);
  const current = await deps.writer.read(verificationId);
  const now = deps.clock.now();
  if (isFinished(current.status) || now >= current.expiresAt) {
    if (!isFinished(current.status)) await deps.writer.apply(verificationId, expire);
    throw VerifyError.failedPrecondition(`verification is ${isFinished(current.status) ? current.status : "expired"}; start a new one`);
  }
  // A test number never sends: its one code stands.
  if (isTestNumber(deps, current.phoneNumber)) return current;
  const target = channel ?? current.channel;
  if (deps.routes.plan(current.country, target).length === 0) {
    throw VerifyError.failedPrecondition(`no provider delivers ${target} to ${current.country}`);
  }
  const tooSoon = resendTooSoon(current, now, deps.policy);
  if (tooSoon) throw tooSoon;
  if (sendingInProgress(current, now)) return current;
  await admitSend(deps, { phoneNumber: current.phoneNumber, country: current.country, channel: target }, ip);
  const code = unsealCode(deps, current);
  return sendCode(deps, { id: verificationId, code, channel: target, reason: { kind: "resend" }, restartRound: true, known: current, signal });
}

export async function cancelVerification(deps: ServiceDeps, verificationId: string): Promise<VerificationRecord> {
  validateVerificationId(verificationId);
  return (await deps.writer.apply(verificationId, cancel)).record;
}

export async function get(deps: ServiceDeps, verificationId: string): Promise<VerificationRecord> {
  validateVerificationId(verificationId);
  return deps.writer.read(verificationId);
}
