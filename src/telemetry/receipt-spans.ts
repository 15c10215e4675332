import { type Attributes, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { describeError } from "../verification/describe.js";
import type { VerificationEvent } from "../verification/model.js";
import { ATTR } from "./attributes.js";
import { maskPhonesIn } from "./logger.js";
import { contextOf } from "./trace-context.js";

/**
 * Delivery receipts, written into the verification's own trace: a short span
 * under the Start that created it, carrying a `delivery_receipt` event at the
 * provider's receipt time. A receipt arrives long after its attempt's span
 * has ended (seconds, for SMS), so it cannot be an event on that span; this
 * way Jaeger still shows send, receipt and the time between on one timeline.
 */
export function receiptSpans(tracer: Tracer): (events: readonly VerificationEvent[]) => void {
  return (events) => {
    for (const event of events) {
      if (event.type !== "delivered" && event.type !== "undelivered") continue;
      const record = event.verification;
      const attempt = event.attemptNumber ? record.attempts[event.attemptNumber - 1] : undefined;
      if (!attempt) continue;
      const attributes: Attributes = {
        [ATTR.verificationId]: record.id,
        [ATTR.provider]: attempt.provider,
        [ATTR.channel]: attempt.channel,
        [ATTR.country]: record.country,
        [ATTR.attemptNumber]: attempt.number,
        [ATTR.receiptStatus]: event.type,
      };
      if (attempt.providerStatus) attributes[ATTR.receiptProviderStatus] = attempt.providerStatus;
      if (attempt.deliveredAt !== undefined && attempt.submittedAt !== undefined) {
        attributes[ATTR.timeToDeliveryMs] = Math.max(0, attempt.deliveredAt - attempt.submittedAt);
      }
      const span = tracer.startSpan(`receipt ${attempt.provider}`, { kind: SpanKind.INTERNAL, attributes }, contextOf(record.traceContext));
      span.addEvent("delivery_receipt", attributes, event.type === "delivered" && attempt.deliveredAt !== undefined ? attempt.deliveredAt : event.at);
      if (event.type === "undelivered") {
        span.setStatus({ code: SpanStatusCode.ERROR, message: maskPhonesIn(event.error ? describeError(event.error) : "undelivered") });
      }
      span.end();
    }
  };
}
