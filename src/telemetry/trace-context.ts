import { type Context, isSpanContextValid, type Link, ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from "@opentelemetry/api";
import { parseTraceParent } from "@opentelemetry/core";

/**
 * The active span as a W3C `traceparent` ("00-<trace id>-<span id>-01"), for
 * a verification record to carry: work that happens later, without a caller
 * (a timer's resend, a receipt), links back to the Start that armed it.
 */
export function currentTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return undefined;
  const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${sampled ? "01" : "00"}`;
}

/** A stored `traceparent` back as a (remote) span context; undefined when absent or malformed. */
export function spanContextOf(traceparent: string | undefined): SpanContext | undefined {
  if (!traceparent) return undefined;
  const parsed = parseTraceParent(traceparent);
  return parsed && isSpanContextValid(parsed) ? { ...parsed, isRemote: true } : undefined;
}

/** A context whose parent is the stored span, or the root context without one. */
export function contextOf(traceparent: string | undefined): Context {
  const spanContext = spanContextOf(traceparent);
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

/** A link to the stored span, for work it caused but does not wait for. */
export function linksTo(traceparent: string | undefined, relation: string): Link[] {
  const spanContext = spanContextOf(traceparent);
  return spanContext ? [{ context: spanContext, attributes: { "verifyd.link": relation } }] : [];
}
