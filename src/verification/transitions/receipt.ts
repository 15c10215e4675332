import { type Attempt, isFinished, type VerificationRecord } from "../model.js";
import type { DeliveryReport } from "../ports.js";
import { changed, type Outcome, unchanged } from "./outcome.js";
import { copyRecord } from "./record.js";

/** What became of a report: applied to the attempt it named, held until that attempt's message is known, or not about it. */
export type ReceiptVerdict = "applied" | "held" | "not_this_attempt";

/** Receipts held per attempt while it is being sent; more are refused, so holding costs a bounded few bytes. */
export const MAX_HELD_REPORTS = 4;

/**
 * A delivery report (a receipt, or a status query's answer) for one attempt.
 * It changes the attempt only when its provider and message id are the
 * attempt's: a provider's signature covers the body, not the callback path,
 * so a receipt moved to another attempt's URL carries another message id.
 * While the attempt is being sent its message id is not known yet, so the
 * report is held until the provider's answer says whether it is ours.
 * Idempotent and order-tolerant: a duplicate changes nothing, undelivered
 * never overwrites delivered. Undelivered on the latest attempt makes
 * failover due at once.
 */
export function applyReceipt(record: VerificationRecord, attemptNumber: number, report: DeliveryReport, now: number): Outcome<ReceiptVerdict> {
  const current = record.attempts[attemptNumber - 1];
  if (!current || current.provider !== report.provider || report.providerMessageId === undefined) return unchanged("not_this_attempt");
  if (current.providerMessageId === undefined) return hold(record, attemptNumber, { ...report, providerMessageId: report.providerMessageId });
  if (report.providerMessageId !== current.providerMessageId) return unchanged("not_this_attempt");
  const next = copyRecord(record);
  const attempt = next.attempts[attemptNumber - 1]!;
  if (report.state === "intermediate") {
    // Queued / sent / accepted: worth keeping, but only delivery or verification stops the window.
    if (attempt.status === "delivered" || attempt.status === "undelivered" || attempt.providerStatus === report.providerStatus) return unchanged("applied");
    attempt.providerStatus = report.providerStatus;
    return changed(next, [], "applied");
  }
  if (report.state === "delivered") return delivered(next, attempt, report);
  return undelivered(next, attempt, report, now);
}

function delivered(next: VerificationRecord, attempt: Attempt, report: DeliveryReport): Outcome<ReceiptVerdict> {
  if (attempt.status === "delivered") return unchanged("applied");
  attempt.status = "delivered";
  attempt.deliveredAt = report.at;
  attempt.providerStatus = report.providerStatus;
  if (!isFinished(next.status)) {
    next.status = "delivered";
    // Delivered: no more automatic resends; only expiry is left to watch for.
    next.dueAt = next.expiresAt;
  }
  return changed(next, [{ type: "delivered", provider: attempt.provider, attemptNumber: attempt.number }], "applied");
}

function undelivered(next: VerificationRecord, attempt: Attempt, report: DeliveryReport, now: number): Outcome<ReceiptVerdict> {
  if (attempt.status === "delivered" || attempt.status === "undelivered") return unchanged("applied");
  attempt.status = "undelivered";
  attempt.error = { kind: "undelivered", message: report.error ?? report.providerStatus ?? "undelivered" };
  attempt.providerStatus = report.providerStatus;
  const failoverNow = attempt.number === next.attempts.length && !isFinished(next.status) && next.status !== "delivered";
  if (failoverNow) next.dueAt = now;
  const event = { type: "undelivered", provider: attempt.provider, attemptNumber: attempt.number, error: attempt.error } as const;
  return changed(next, [event], "applied", failoverNow ? [{ kind: "wake_timers" }] : []);
}

/** Keeps a report for an attempt still being sent; one for an attempt that was never accepted is not ours. */
function hold(record: VerificationRecord, attemptNumber: number, report: DeliveryReport & { providerMessageId: string }): Outcome<ReceiptVerdict> {
  const current = record.attempts[attemptNumber - 1]!;
  const held = current.heldReports ?? [];
  if (current.status !== "sending" || held.length >= MAX_HELD_REPORTS) return unchanged("not_this_attempt");
  const next = copyRecord(record);
  const kept = { state: report.state, providerMessageId: report.providerMessageId, providerStatus: report.providerStatus, error: report.error, at: report.at };
  next.attempts[attemptNumber - 1]!.heldReports = [...held, kept];
  return changed(next, [], "held");
}

/** The attempt a report is about: by the reference it carried, else by the provider's message id. */
export function attemptForReport(record: VerificationRecord, report: DeliveryReport): number | undefined {
  if (report.reference) return report.reference.attemptNumber;
  if (report.providerMessageId === undefined) return undefined;
  return record.attempts.find((a) => a.provider === report.provider && a.providerMessageId === report.providerMessageId)?.number;
}
