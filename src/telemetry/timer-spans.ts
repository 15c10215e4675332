import { context, createContextKey, type HrTime, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { hrTime } from "@opentelemetry/core";
import type { AttemptReason, VerificationRecord } from "../verification/model.js";
import { ATTR, attemptReasonText, failoverReasonOf } from "./attributes.js";
import { linksTo } from "./trace-context.js";

/** Timer work in progress, whose span exists only once it sends something. */
interface TimerWork {
  readonly record: VerificationRecord;
  readonly startTime: HrTime;
  span?: Span;
}

const TIMER_WORK = createContextKey("verifyd timer work");

/**
 * Wraps the timer loop's handler so that a timer-driven resend (slow
 * failover, failover after UNDELIVERED, takeover of a dead instance's send)
 * gets a span of its own: a new trace, linked to the Start that armed the
 * timer, with the resend's attempts as children. Timers that only expire a
 * code or go back to sleep send nothing and leave no span, so a verification
 * does not end in a stray trace per timer.
 */
export function traceTimerWork(handler: (record: VerificationRecord) => Promise<void>): (record: VerificationRecord) => Promise<void> {
  return async (record) => {
    const work: TimerWork = { record, startTime: hrTime() };
    // From the root: the loop's own async context is whatever request first woke it.
    const workContext = ROOT_CONTEXT.setValue(TIMER_WORK, work);
    try {
      await context.with(workContext, () => handler(record));
    } catch (error) {
      work.span?.recordException(error as Error);
      work.span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      work.span?.end();
    }
  };
}

/**
 * The span of the timer work running in this context, started on first use
 * (its start time is when the work began) and named for what led to the
 * attempt: "resend (no_receipt)", "resend (takeover)"; undefined outside
 * timer work.
 */
export function timerSpanFor(tracer: Tracer, reason: AttemptReason | undefined): Span | undefined {
  const work = context.active().getValue(TIMER_WORK) as TimerWork | undefined;
  if (!work) return undefined;
  if (!work.span) {
    const { record } = work;
    const failover = failoverReasonOf(reason);
    work.span = tracer.startSpan(
      `resend (${failover ?? reason?.kind ?? "unknown"})`,
      {
        kind: SpanKind.INTERNAL,
        root: true,
        startTime: work.startTime,
        links: linksTo(record.traceContext, "armed by"),
        attributes: {
          [ATTR.verificationId]: record.id,
          [ATTR.country]: record.country,
          [ATTR.channel]: record.channel,
          [ATTR.attemptReason]: attemptReasonText(reason),
          ...(failover ? { [ATTR.failoverReason]: failover } : {}),
        },
      },
      ROOT_CONTEXT,
    );
  }
  return work.span;
}
