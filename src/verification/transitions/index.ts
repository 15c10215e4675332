/** The pure transitions of a verification: record and input in, next record, events and effects out. */
export { checkCode } from "./check.js";
export { cancel, expire, releaseIdempotencyKey, settleFinished, sleepUntilDue } from "./lifecycle.js";
export { changed, type Effect, mapResult, type Outcome, type Transition, unchanged } from "./outcome.js";
export { applyReceipt, attemptForReport, type ReceiptVerdict } from "./receipt.js";
export { anyAccepted, asSeenAt, copyRecord, nextDue, sendingInProgress } from "./record.js";
export { type AttemptStep, abandonSending, beginAttempt, channelExhausted, type ExhaustedVerdict, neverSent, recordSendOutcome, timeOutAttempt } from "./sending.js";
export { type NewVerification, newVerification, type ResendVerdict, resendTooSoon, resendVerdict } from "./start.js";
export { type DueWork, dueWork } from "./timer.js";
