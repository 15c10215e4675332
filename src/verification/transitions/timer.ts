import { type AttemptError, type Channel, isFinished, type VerificationRecord } from "../model.js";

/** What a claimed record's timer asks for, decided from the record alone. */
export type DueWork =
  /** Finished or expired: settle it and stop its timer. */
  | { kind: "settle" }
  /** The instance that was sending died (its lease lapsed): send the same attempt again. */
  | { kind: "takeover"; attemptNumber: number; channel: Channel }
  /** The instance died between a rejection and the next provider: carry on failing over. */
  | { kind: "continue_failover"; channel: Channel; error: AttemptError }
  /** The delivery window of an accepted attempt ran out without a receipt. */
  | { kind: "window_over"; attemptNumber: number; provider: string; providerMessageId: string | undefined }
  /** A receipt said the latest attempt was undelivered. */
  | { kind: "undelivered"; attemptNumber: number }
  /** Nothing to do yet. */
  | { kind: "sleep" };

/**
 * Timer work for a record this instance has claimed: the delivery window ran
 * out (slow failover), a receipt said undelivered, the code expired, or
 * another instance died while sending.
 */
export function dueWork(record: VerificationRecord, now: number, deliveryWindowMs: number): DueWork {
  if (isFinished(record.status) || now >= record.expiresAt) return { kind: "settle" };
  const last = record.attempts.at(-1);
  if (!last) return { kind: "sleep" };
  if (last.status === "sending") return { kind: "takeover", attemptNumber: last.number, channel: last.channel };
  if (record.status === "delivered") return { kind: "sleep" };
  if (last.status === "rejected") {
    return { kind: "continue_failover", channel: last.channel, error: last.error ?? { kind: "unavailable", message: "rejected" } };
  }
  if (last.status === "undelivered") return { kind: "undelivered", attemptNumber: last.number };
  if (last.status === "submitted" && now >= (last.submittedAt ?? 0) + deliveryWindowMs) {
    return { kind: "window_over", attemptNumber: last.number, provider: last.provider, providerMessageId: last.providerMessageId };
  }
  return { kind: "sleep" };
}
