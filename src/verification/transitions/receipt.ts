import { isFinished, type VerificationRecord } from "../model.js";
import type { DeliveryReport } from "../ports.js";
import { changed, type Outcome, unchanged } from "./outcome.js";
import { copyRecord } from "./record.js";

/** Whether a report concerned the attempt it named. */
export type ReceiptVerdict = "applied" | "not_this_attempt";

/**
 * A delivery report (a receipt, or a status query's answer) for one attempt.
 * Idempotent and order-tolerant: a duplicate changes nothing, undelivered
 * never overwrites delivered, and a report for another provider's attempt is
 * ignored. Undelivered on the latest attempt makes failover due at once.
 */
export function applyReceipt(record: VerificationRecord, attemptNumber: number, report: DeliveryReport, now: number): Outcome<ReceiptVerdict> {
  const current = record.attempts[attemptNumber - 1];
  if (!current || current.provider !== report.provider) return unchanged("not_this_attempt");
  // A signature covers the body, not the callback path: a receipt moved to another attempt's URL carries another message id.
  if (report.providerMessageId !== undefined && current.providerMessageId !== undefined && report.providerMessageId !== current.providerMessageId) {
    return unchanged("not_this_attempt");
  }
  const next = copyRecord(record);
  const attempt = next.attempts[attemptNumber - 1]!;
  const learnedId = report.providerMessageId !== undefined && attempt.providerMessageId === undefined;
  if (learnedId) attempt.providerMessageId = report.providerMessageId;

  if (report.state === "intermediate") {
    // Queued / sent / accepted: worth keeping, but only delivery or verification stops the window.
    if (attempt.status === "delivered" || attempt.status === "undelivered" || attempt.providerStatus === report.providerStatus) {
      return learnedId ? changed(next, [], "applied") : unchanged("applied");
    }
    attempt.providerStatus = report.providerStatus;
    return changed(next, [], "applied");
  }
  if (report.state === "delivered") {
    if (attempt.status === "delivered") return unchanged("applied");
    attempt.status = "delivered";
    attempt.deliveredAt = report.at;
    attempt.providerStatus = report.providerStatus;
    if (!isFinished(next.status)) {
      next.status = "delivered";
      // Delivered: no more automatic resends; only expiry is left to watch for.
      next.dueAt = next.expiresAt;
    }
    return changed(next, [{ type: "delivered", provider: attempt.provider, attemptNumber }], "applied");
  }
  if (attempt.status === "delivered" || attempt.status === "undelivered") return unchanged("applied");
  attempt.status = "undelivered";
  attempt.error = { kind: "undelivered", message: report.error ?? report.providerStatus ?? "undelivered" };
  attempt.providerStatus = report.providerStatus;
  const isLatest = attemptNumber === next.attempts.length;
  const failoverNow = isLatest && !isFinished(next.status) && next.status !== "delivered";
  if (failoverNow) next.dueAt = now;
  return changed(
    next,
    [{ type: "undelivered", provider: attempt.provider, attemptNumber, error: attempt.error }],
    "applied",
    failoverNow ? [{ kind: "wake_timers" }] : [],
  );
}

/** The attempt a report is about: by the reference it carried, else by the provider's message id. */
export function attemptForReport(record: VerificationRecord, report: DeliveryReport): number | undefined {
  if (report.reference) return report.reference.attemptNumber;
  return record.attempts.find((a) => a.provider === report.provider && a.providerMessageId === report.providerMessageId)?.number;
}
