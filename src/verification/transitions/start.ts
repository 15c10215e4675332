import { VerifyError } from "../errors.js";
import type { Attempt, Lease, SkippedProvider, VerificationRecord } from "../model.js";
import { isFinished } from "../model.js";
import type { VerificationPolicy } from "../policy.js";
import { newAttempt, sendingInProgress } from "./record.js";

/** Everything a new verification is made from, already validated and hashed by the shell. */
export type NewVerification = Pick<
  VerificationRecord,
  | "id"
  | "phoneNumber"
  | "country"
  | "channel"
  | "codeLength"
  | "codeHash"
  | "locale"
  | "metadata"
  | "idempotencyKey"
  | "requestFingerprint"
  | "clientIp"
  | "traceContext"
> & {
  /** A new verification always holds its sealed code. */
  sealedCode: string;
  /** The provider of the first attempt, when the route has one. */
  firstProvider?: string;
  /** Providers of the route passed over for the first attempt. */
  firstSkipped?: SkippedProvider[];
};

/**
 * A new verification, its first attempt recorded as sending under this
 * instance's lease: if the process dies while sending, another instance
 * resumes after the lease.
 */
export function newVerification(input: NewVerification, policy: VerificationPolicy, now: number, lease: Lease): VerificationRecord {
  return {
    id: input.id,
    phoneNumber: input.phoneNumber,
    country: input.country,
    channel: input.channel,
    status: "pending",
    attempts: input.firstProvider ? [firstAttempt(input, input.firstProvider, now)] : [],
    createdAt: now,
    updatedAt: now,
    expiresAt: now + policy.codeTtlMs,
    checkAttemptsRemaining: policy.maxCheckAttempts,
    fallbackChannels: [],
    codeLength: input.codeLength,
    codeHash: input.codeHash,
    sealedCode: input.sealedCode,
    locale: input.locale,
    metadata: input.metadata,
    idempotencyKey: input.idempotencyKey,
    requestFingerprint: input.requestFingerprint,
    clientIp: input.clientIp,
    traceContext: input.traceContext,
    dueAt: lease.until,
    lease,
    sequence: 0,
    version: 0,
  };
}

function firstAttempt(input: NewVerification, provider: string, now: number): Attempt {
  const attempt: Attempt = { ...newAttempt(input.id, 1, provider, input.channel, now), reason: { kind: "start" } };
  if (input.firstSkipped && input.firstSkipped.length > 0) attempt.skipped = input.firstSkipped;
  return attempt;
}

/** Whether a caller's resend (or a Start on a number with an active code) may send now. */
export type ResendVerdict =
  | { kind: "send" }
  /** Too soon after the last send, or another call is sending: answer with the record as it is. */
  | { kind: "hold" }
  /** The code expired: expire the record; a resend is refused, a Start creates anew. */
  | { kind: "expired" };

export function resendVerdict(record: VerificationRecord, now: number, policy: VerificationPolicy): ResendVerdict {
  if (isFinished(record.status) || now >= record.expiresAt) return { kind: "expired" };
  const tooSoon = record.lastSendAt !== undefined && now - record.lastSendAt < policy.resendMinIntervalMs;
  if (tooSoon || sendingInProgress(record, now)) return { kind: "hold" };
  return { kind: "send" };
}

/** A caller's Resend that comes before resend_min_interval has passed: rate limited, with the time left. */
export function resendTooSoon(record: VerificationRecord, now: number, policy: VerificationPolicy): VerifyError | undefined {
  if (record.lastSendAt === undefined) return undefined;
  const elapsed = now - record.lastSendAt;
  if (elapsed >= policy.resendMinIntervalMs) return undefined;
  const retryAfterMs = policy.resendMinIntervalMs - elapsed;
  return VerifyError.rateLimited(`a resend is allowed ${Math.ceil(retryAfterMs / 1000)}s from now`, retryAfterMs);
}
