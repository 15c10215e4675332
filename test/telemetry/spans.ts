/** Finding one verification's spans among everything an in-memory exporter caught. */
import type { SpanContext } from "@opentelemetry/api";
import type { InMemorySpanExporter, ReadableSpan } from "@opentelemetry/sdk-trace";

/** The provider attempts among `spans`, in attempt order. */
export function attempts(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans
    .filter((span) => span.name.startsWith("send "))
    .sort((a, b) => Number(a.attributes["verifyd.attempt.number"]) - Number(b.attributes["verifyd.attempt.number"]));
}

export function spansOf(exporter: InMemorySpanExporter, verificationId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.attributes["verifyd.verification.id"] === verificationId);
}

export function isChildOf(child: ReadableSpan, parent: ReadableSpan | SpanContext): boolean {
  const context = "spanContext" in parent ? parent.spanContext() : parent;
  return child.parentSpanContext?.spanId === context.spanId && child.spanContext().traceId === context.traceId;
}
