import type { VerificationEvent } from "../verification/model.js";
import type { Scorer } from "./scorer.js";

/**
 * Turns the verification event stream into the scorer's statistics. Every
 * attempt is attributed to its own provider, even when its receipt arrives
 * after failover: a late DELIVERED still counts for the provider that
 * delivered. A verification is credited to the provider whose message the
 * user most likely read: the last one delivered, else the last one accepted.
 */
export function scoreFeed(scorer: Scorer, costOf: (provider: string, country: string) => number) {
  return (events: readonly VerificationEvent[]): void => {
    for (const event of events) {
      const record = event.verification;
      const attempt = event.attemptNumber ? record.attempts[event.attemptNumber - 1] : undefined;
      switch (event.type) {
        case "submitted":
          if (attempt) scorer.recordAccepted(attempt.provider, record.country, attempt.channel, costOf(attempt.provider, record.country));
          break;
        case "rejected":
          // A call the breaker refused while half-open never reached the provider: it says nothing new.
          if (attempt && attempt.error?.kind !== "breaker_open") scorer.recordRejected(attempt.provider, record.country, attempt.channel);
          break;
        case "delivered":
          if (attempt) {
            const ttd = attempt.deliveredAt !== undefined && attempt.submittedAt !== undefined ? attempt.deliveredAt - attempt.submittedAt : undefined;
            scorer.recordDelivered(attempt.provider, record.country, attempt.channel, ttd);
          }
          break;
        case "undelivered":
          if (attempt) scorer.recordUndelivered(attempt.provider, record.country, attempt.channel);
          break;
        case "verified": {
          const credited =
            record.attempts.findLast((a) => a.status === "delivered") ?? record.attempts.findLast((a) => a.status === "submitted" || a.status === "timed_out");
          if (credited) scorer.recordVerified(credited.provider, record.country, credited.channel);
          break;
        }
        default:
          break;
      }
    }
  };
}
