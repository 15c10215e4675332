import { VerifyError } from "../errors.js";
import { isFinished, type VerificationRecord } from "../model.js";
import { changed, type Outcome, unchanged } from "./outcome.js";
import { expired, finished, nextDue } from "./record.js";

/** The caller gave up on the verification. Refused once it has finished. */
export function cancel(record: VerificationRecord): Outcome<void> {
  if (isFinished(record.status)) throw VerifyError.failedPrecondition(`verification is already ${record.status}`);
  return changed(finished(record, "canceled"), [{ type: "canceled" }], undefined);
}

/** The code's time is up: expired, unless something else finished it first. */
export function expire(record: VerificationRecord): Outcome<void> {
  if (isFinished(record.status)) return unchanged(undefined);
  const { record: next, event } = expired(record);
  return changed(next, [event], undefined);
}

/**
 * Timer work found the record finished or expired: expire it if needed, and
 * clear its timer and lease so the timer loop stops claiming it.
 */
export function settleFinished(record: VerificationRecord): Outcome<void> {
  if (!isFinished(record.status)) return expire(record);
  if (record.dueAt === undefined && record.lease === undefined) return unchanged(undefined);
  return changed({ ...record, dueAt: undefined, lease: undefined }, [], undefined);
}

/**
 * An expired verification must not hold its idempotency key forever: the key
 * is released (and the verification expired) so a new Start may use it.
 */
export function releaseIdempotencyKey(record: VerificationRecord, key: string): Outcome<void> {
  if (record.idempotencyKey !== key) return unchanged(undefined);
  const released = { ...record, idempotencyKey: undefined };
  if (isFinished(record.status)) return changed(released, [], undefined);
  const { record: next, event } = expired(released);
  return changed(next, [event], undefined);
}

/** Nothing to do yet: give up the lease and sleep until the window ends or the code expires. */
export function sleepUntilDue(record: VerificationRecord, deliveryWindowMs: number): Outcome<void> {
  return changed({ ...record, lease: undefined, dueAt: nextDue(record, deliveryWindowMs) }, [], undefined);
}
