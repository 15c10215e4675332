import { trace } from "@opentelemetry/api";
import { pino } from "pino";

export type AppLogger = pino.Logger;

/**
 * Structured JSON logs. Codes are never logged; phone numbers only masked
 * (see maskPhone). Each line carries the active span's `trace_id` and
 * `span_id`, so a log line leads to its trace in Jaeger and back.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): AppLogger {
  return pino(
    {
      name: "verifyd",
      level,
      base: { service: "verifyd" },
      mixin: traceIds,
      // Defence in depth: whatever a call site passes, a number or a code under a well-known key is masked.
      redact: { paths: SENSITIVE_PATHS, censor },
      serializers: { err: maskedError },
      hooks: {
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) if (typeof args[i] === "string") args[i] = maskPhonesIn(args[i] as string);
          return method.apply(this, args);
        },
      },
    },
    destination,
  );
}

function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

const SENSITIVE_KEYS = ["phoneNumber", "phone_number", "to", "code"];
const SENSITIVE_PATHS = [...SENSITIVE_KEYS, ...SENSITIVE_KEYS.map((key) => `*.${key}`)];

function censor(value: unknown, path: string[]): unknown {
  if (typeof value !== "string" && typeof value !== "number") return value;
  const text = String(value);
  if (path.at(-1) === "code") return /^\d{4,10}$/.test(text) ? "[redacted]" : value;
  return /^\+?\d{6,15}$/.test(text) ? maskPhone(text) : value;
}

function maskedError(error: Error): object {
  const serialized = pino.stdSerializers.err(error);
  serialized.message = maskPhonesIn(serialized.message);
  if (serialized.stack) serialized.stack = maskPhonesIn(serialized.stack);
  return serialized;
}

/** "+4915123456789" → "+49*******6789": enough to tell numbers apart in a log, not to dial one. */
export function maskPhone(e164: string): string {
  if (e164.length <= 7) return "*".repeat(e164.length);
  return `${e164.slice(0, 3)}${"*".repeat(e164.length - 7)}${e164.slice(-4)}`;
}

/** Masks every E.164 number inside free text: a provider's error message may quote the number. */
export function maskPhonesIn(text: string): string {
  return text.includes("+") ? text.replace(/\+\d{7,15}\b/g, (number) => maskPhone(number)) : text;
}
