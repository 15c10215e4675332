import type { Lease } from "../model.js";
import { type AttemptReason, type Channel, type HeldReport, isFinished, type PendingEvent, type SkippedProvider, type VerificationRecord } from "../model.js";
import type { SendOutcome } from "../ports.js";
import { changed, type Outcome, unchanged } from "./outcome.js";
import { applyReceipt } from "./receipt.js";
import { anyAccepted, copyRecord, finished, newAttempt, nextDue, sendingInProgress } from "./record.js";

/** The next attempt the dispatcher chose: who, on which channel, why, and whom it passed over. */
export interface AttemptStep {
  provider: string;
  channel: Channel;
  reason: AttemptReason;
  skipped: SkippedProvider[];
  /** The attempt whose delivery window ran out, marked timed out in the same write. */
  timedOut?: number;
}

/**
 * Records the next attempt as `sending` before its provider is called, under
 * a lease, so that a crash leaves a trace another instance resumes from.
 * A failover (or passed-over providers) is announced with a failover event.
 */
export function beginAttempt(record: VerificationRecord, step: AttemptStep, now: number, lease: Lease): Outcome<number | undefined> {
  if (isFinished(record.status)) return unchanged(undefined);
  const next = copyRecord(record);
  if (step.timedOut !== undefined) markTimedOut(next, step.timedOut);
  if (next.channel !== step.channel) {
    next.channel = step.channel;
    next.fallbackChannels = next.fallbackChannels.filter((c) => c !== step.channel);
  }
  const number = next.attempts.length + 1;
  const attempt = { ...newAttempt(next.id, number, step.provider, step.channel, now), reason: step.reason };
  if (step.skipped.length > 0) attempt.skipped = step.skipped;
  next.attempts.push(attempt);
  next.lease = lease;
  next.dueAt = lease.until;
  const events: PendingEvent[] = [];
  if (step.reason.kind === "failover" || step.skipped.length > 0) {
    const event: PendingEvent = { type: "failover", provider: step.provider, attemptNumber: number };
    if (step.reason.kind === "failover") event.cause = step.reason.cause;
    if (step.skipped.length > 0) event.skipped = step.skipped;
    events.push(event);
  }
  return changed(next, events, number);
}

/**
 * The delivery window of an attempt ran out and no provider is left to fail
 * over to: the attempt is marked timed out all the same.
 */
export function timeOutAttempt(record: VerificationRecord, attemptNumber: number): Outcome<void> {
  if (isFinished(record.status) || record.attempts[attemptNumber - 1]?.status !== "submitted") return unchanged(undefined);
  const next = copyRecord(record);
  markTimedOut(next, attemptNumber);
  return changed(next, [], undefined);
}

/** Marks a submitted attempt of a record copy timed out; any other status stays. */
function markTimedOut(next: VerificationRecord, attemptNumber: number): void {
  const attempt = next.attempts[attemptNumber - 1];
  if (attempt?.status === "submitted") attempt.status = "timed_out";
}

/**
 * The provider answered one attempt. Accepted: the attempt is submitted (a
 * receipt that overtook the answer is kept, never moved backwards), the
 * lease is released and the delivery window starts. Refused: the attempt is
 * rejected with its error, and the dispatcher fails over.
 */
export function recordSendOutcome(record: VerificationRecord, attemptNumber: number, outcome: SendOutcome, now: number, deliveryWindowMs: number): Outcome<void> {
  const next = copyRecord(record);
  const attempt = next.attempts[attemptNumber - 1];
  if (!attempt) return unchanged(undefined);
  const held = attempt.heldReports ?? [];
  delete attempt.heldReports;
  const skipped = attempt.skipped;
  if (!outcome.ok) {
    attempt.status = "rejected";
    attempt.error = outcome.error;
    const event: PendingEvent = { type: "rejected", provider: attempt.provider, attemptNumber, error: outcome.error };
    if (skipped) event.skipped = skipped;
    return changed(next, [event], undefined);
  }
  // The provider's answer names the message; receipts never do that for an attempt.
  attempt.providerMessageId = outcome.providerMessageId;
  attempt.submittedAt ??= now;
  if (attempt.status === "sending" || attempt.status === "rejected") attempt.status = "submitted";
  next.lastSendAt = now;
  next.lease = undefined;
  if (!isFinished(next.status)) {
    if (next.status === "pending") next.status = "submitted";
    next.dueAt = nextDue(next, deliveryWindowMs);
  }
  const event: PendingEvent = { type: "submitted", provider: attempt.provider, attemptNumber };
  if (skipped) event.skipped = skipped;
  const accepted = changed(next, [event], undefined, next.dueAt !== undefined && next.dueAt <= now ? [{ kind: "wake_timers" }] : []);
  return applyHeld(accepted, attemptNumber, held, now);
}

/** Receipts that overtook the provider's answer, applied now that the attempt's message id is known; others were not ours. */
function applyHeld(accepted: Outcome<void>, attemptNumber: number, held: readonly HeldReport[], now: number): Outcome<void> {
  if (!("record" in accepted)) return accepted;
  let { record } = accepted;
  const events = [...accepted.events];
  const effects = [...accepted.effects];
  const attempt = record.attempts[attemptNumber - 1]!;
  for (const report of held) {
    if (report.providerMessageId !== attempt.providerMessageId) continue;
    const applied = applyReceipt(record, attemptNumber, { ...report, provider: attempt.provider }, now);
    if (!("record" in applied)) continue;
    record = applied.record;
    events.push(...applied.events);
    for (const effect of applied.effects) if (!effects.some((e) => e.kind === effect.kind)) effects.push(effect);
  }
  return changed(record, events, undefined, effects);
}

/**
 * The caller's deadline passed (or the caller left) before the next provider
 * was called. An attempt recorded for that call never happened, so it is
 * removed; the lease is released and the timer left to the window of an
 * earlier accepted attempt or to expiry, so nothing is sent behind the
 * caller's back. The record stays pending: a retry with the same idempotency
 * key (or a Resend) sends from here.
 */
export function abandonSending(record: VerificationRecord, deliveryWindowMs: number): Outcome<void> {
  if (isFinished(record.status) || record.lease === undefined) return unchanged(undefined);
  const next = { ...copyRecord(record), lease: undefined };
  if (next.attempts.at(-1)?.status === "sending") next.attempts.pop();
  next.dueAt = nextDue(next, deliveryWindowMs);
  return changed(next, [], undefined);
}

/** Whether nothing is in flight and no message was ever accepted: a Start that was cut short, to be resumed. */
export function neverSent(record: VerificationRecord, now: number): boolean {
  return record.status === "pending" && !anyAccepted(record) && !sendingInProgress(record, now);
}

/** What to do when a channel's providers are used up. */
export type ExhaustedVerdict = { kind: "escalate"; to: Channel } | { kind: "settled" };

/**
 * The channel's providers are used up. With auto-escalation and another
 * routable channel not yet tried, escalate (nothing written). Otherwise offer
 * the other routable channels; when there are none and no message was ever
 * accepted, the verification fails; else the code stays valid until it
 * expires, since an accepted message may still arrive.
 */
export function channelExhausted(
  record: VerificationRecord,
  input: { channel: Channel; otherChannels: readonly Channel[]; autoEscalate: boolean; skipped: SkippedProvider[] },
): Outcome<ExhaustedVerdict> {
  if (isFinished(record.status)) return unchanged({ kind: "settled" });
  const tried = new Set(record.attempts.map((attempt) => attempt.channel));
  const others = input.otherChannels.filter((other) => !(input.autoEscalate && tried.has(other)));
  if (others.length > 0 && input.autoEscalate) {
    if (record.lease === undefined) return unchanged({ kind: "escalate", to: others[0]! });
    return changed({ ...record, lease: undefined }, [], { kind: "escalate", to: others[0]! });
  }
  const next = { ...copyRecord(record), lease: undefined };
  const events: PendingEvent[] = [];
  const withSkipped = (event: PendingEvent): PendingEvent => (input.skipped.length > 0 ? { ...event, skipped: input.skipped } : event);
  if (others.length > 0) {
    const offerChanged = others.some((other) => !record.fallbackChannels.includes(other));
    next.fallbackChannels = others;
    if (offerChanged) events.push(withSkipped({ type: "fallback_available", offered: others }));
  } else if (!anyAccepted(record)) {
    return changed(finished(next, "failed"), [withSkipped({ type: "failed" })], { kind: "settled" });
  }
  next.dueAt = next.expiresAt;
  return changed(next, events, { kind: "settled" });
}
