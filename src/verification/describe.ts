/**
 * The one place where the domain's typed reasons become words, for the edges
 * that show them to people: the API's `reason` and `error` strings, error
 * messages and log lines. Nothing reads these sentences back; modules that
 * need to know why read the typed fields.
 */
import type { AttemptError, AttemptReason, EventFacts, EventType, FailoverCause, SkippedProvider, VerificationRecord } from "./model.js";

export function describeError(error: AttemptError): string {
  return `${error.kind}: ${error.message}`;
}

export function describeCause(cause: FailoverCause): string {
  switch (cause.kind) {
    case "rejected":
      return `rejected: ${cause.error.kind}`;
    case "no_receipt":
    case "undelivered":
      return cause.kind;
    case "escalated":
      return `escalated to ${cause.to}`;
  }
}

export function describeReason(reason: AttemptReason): string {
  return reason.kind === "failover" ? describeCause(reason.cause) : reason.kind;
}

export function describeSkipped(skipped: readonly SkippedProvider[]): string {
  return `skipped ${skipped.map((s) => `${s.provider} (${s.why === "breaker_open" ? "circuit open" : s.why})`).join(", ")}`;
}

/** An event's reason as the API shows it, e.g. "no_receipt", "rejected: no_route; skipped sim-a (circuit open)". */
export function describeEvent(event: EventFacts & { type: EventType }): string {
  const parts: string[] = [];
  const main = mainReason(event);
  if (main) parts.push(main);
  if (event.skipped && event.skipped.length > 0) parts.push(describeSkipped(event.skipped));
  return parts.join("; ");
}

function mainReason(event: EventFacts & { type: EventType }): string | undefined {
  switch (event.type) {
    case "failover":
      return event.cause ? describeCause(event.cause) : undefined;
    case "rejected":
    case "undelivered":
      return event.error ? describeError(event.error) : undefined;
    case "check_failed":
      return `wrong code; ${event.attemptsLeft ?? 0} attempts left`;
    case "locked":
      return "too many wrong codes";
    case "fallback_available":
      return `providers exhausted; offer ${(event.offered ?? []).join(", ")}`;
    case "failed":
      return "no provider on any channel could take the message";
    default:
      return undefined;
  }
}

/** Every attempt of a failed verification, for the caller's error message. */
export function describeAttempts(record: VerificationRecord, passedOver: readonly SkippedProvider[] = []): string {
  const parts = record.attempts.map((attempt) => `${attempt.provider} (${attempt.error ? describeError(attempt.error) : attempt.status})`);
  const skipped = [...record.attempts.flatMap((attempt) => attempt.skipped ?? []), ...passedOver];
  const names = new Set<string>();
  const unique = skipped.filter((s) => !names.has(s.provider) && names.add(s.provider));
  if (unique.length > 0) parts.push(describeSkipped(unique));
  return parts.length > 0 ? parts.join(", ") : `no provider is routed for ${record.country}`;
}
