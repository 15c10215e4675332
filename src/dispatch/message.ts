import type { Attempt, AttemptReason, VerificationRecord } from "../verification/model.js";
import type { OutboundMessage } from "../verification/ports.js";
import type { DispatchDeps } from "./deps.js";

/** The message for one attempt: the code rendered in the record's locale for the attempt's channel. */
export function messageFor(
  deps: Pick<DispatchDeps, "messages" | "policy" | "clock">,
  record: VerificationRecord,
  attempt: Attempt,
  code: string,
  reason: AttemptReason,
): OutboundMessage {
  return {
    to: record.phoneNumber,
    channel: attempt.channel,
    code,
    body: deps.messages.render({
      channel: attempt.channel,
      locale: record.locale,
      code,
      brand: deps.policy.brand,
      ttlMs: Math.max(0, record.expiresAt - deps.clock.now()),
    }),
    locale: record.locale,
    idempotencyKey: attempt.idempotencyKey,
    reference: { verificationId: record.id, attemptNumber: attempt.number },
    attemptContext: { country: record.country, reason, skipped: attempt.skipped },
  };
}
