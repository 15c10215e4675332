import type { Attempt, Channel, PendingEvent, VerificationRecord } from "../model.js";
import { isFinished } from "../model.js";

/** A copy deep enough to change freely: transitions never alter the record they are given. */
export function copyRecord(record: VerificationRecord): VerificationRecord {
  return {
    ...record,
    attempts: record.attempts.map((attempt) => ({ ...attempt })),
    fallbackChannels: [...record.fallbackChannels],
  };
}

export type FinalStatus = "verified" | "expired" | "locked" | "canceled" | "failed";

/** Ends a verification: its code can no longer be sent or checked, so the sealed copy goes. */
export function finished(record: VerificationRecord, status: FinalStatus): VerificationRecord {
  return { ...record, status, sealedCode: undefined, dueAt: undefined, lease: undefined };
}

/** The record expired, with its event. */
export function expired(record: VerificationRecord): { record: VerificationRecord; event: PendingEvent } {
  return { record: finished(record, "expired"), event: { type: "expired" } };
}

/** When the record next needs attention: the end of the current delivery window, else expiry. */
export function nextDue(record: VerificationRecord, deliveryWindowMs: number): number {
  const last = record.attempts.at(-1);
  if (record.status !== "delivered" && last?.status === "submitted" && last.submittedAt !== undefined) {
    return Math.min(last.submittedAt + deliveryWindowMs, record.expiresAt);
  }
  return record.expiresAt;
}

/** Another call (or instance) is sending right now and holds the lease for it. */
export function sendingInProgress(record: VerificationRecord, now: number): boolean {
  return record.attempts.at(-1)?.status === "sending" && record.lease !== undefined && record.lease.until > now;
}

/** What callers see: a code past its expiry reads as expired even before the timer has written it. */
export function asSeenAt(record: VerificationRecord, now: number): VerificationRecord {
  if (!isFinished(record.status) && now >= record.expiresAt) return { ...record, status: "expired" };
  return record;
}

export function newAttempt(verificationId: string, number: number, provider: string, channel: Channel, now: number): Attempt {
  return { number, provider, channel, status: "sending", idempotencyKey: `${verificationId}-attempt-${number}`, startedAt: now };
}

/** Some attempt was accepted by its provider, so the message may still arrive. */
export function anyAccepted(record: VerificationRecord): boolean {
  return record.attempts.some((a) => a.status === "submitted" || a.status === "timed_out" || a.status === "delivered");
}
