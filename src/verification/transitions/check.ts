import type { VerificationRecord } from "../model.js";
import { isFinished, type PendingEvent } from "../model.js";
import { changed, type Outcome, unchanged } from "./outcome.js";
import { copyRecord, expired, finished } from "./record.js";

/**
 * A code was typed. `matches` is whether it hashes to the record's code (the
 * shell computes it; the hash never changes, so a retry may reuse it). A
 * right code approves once; a wrong one uses up an attempt and the last wrong
 * one locks. A finished verification, or an expired one, never approves.
 */
export function checkCode(record: VerificationRecord, matches: boolean, now: number): Outcome<boolean> {
  if (isFinished(record.status)) return unchanged(false);
  if (now >= record.expiresAt) {
    const { record: next, event } = expired(record);
    return changed(next, [event], false);
  }
  if (matches) return changed({ ...finished(record, "verified"), verifiedAt: now }, [{ type: "verified" }], true);
  const attemptsLeft = Math.max(0, record.checkAttemptsRemaining - 1);
  const next = { ...copyRecord(record), checkAttemptsRemaining: attemptsLeft };
  if (attemptsLeft === 0) return changed(finished(next, "locked"), [{ type: "locked", attemptsLeft: 0 }], false);
  const event: PendingEvent = { type: "check_failed", attemptsLeft };
  return changed(next, [event], false);
}
