import { type Attributes, context, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import type { BreakerState } from "../gateway/breakers.js";
import type { GatewayOptions } from "../gateway/gateway.js";
import type { ProviderCaller } from "../gateway/provider-caller.js";
import type { OutboundMessage, ProviderAdapter } from "../providers/adapter.js";
import { describeError } from "../verification/describe.js";
import type { Channel } from "../verification/model.js";
import type { SendOutcome } from "../verification/ports.js";
import { ATTR, attemptReasonText, failoverReasonOf, skippedAttribute } from "./attributes.js";
import { maskPhone, maskPhonesIn } from "./logger.js";
import { timerSpanFor } from "./timer-spans.js";

/**
 * A span per provider attempt, around the breaker-guarded caller: provider,
 * channel, country, attempt number, why the attempt happened (failover
 * reason, breakers skipped), the breaker's state, and how it ended. The
 * phone number is masked and the code never recorded. Inside timer work the
 * attempt hangs under the resend's own span (timer-spans.ts); otherwise under
 * the RPC that sent it.
 */
export class TracingCaller implements ProviderCaller {
  readonly #inner: ProviderCaller;
  readonly #tracer: Tracer;
  readonly #breakerState: (provider: string, channel: Channel) => BreakerState;

  constructor(inner: ProviderCaller, tracer: Tracer, breakerState: (provider: string, channel: Channel) => BreakerState) {
    this.#inner = inner;
    this.#tracer = tracer;
    this.#breakerState = breakerState;
  }

  async send(adapter: ProviderAdapter, message: OutboundMessage): Promise<SendOutcome> {
    const { attemptContext } = message;
    const reason = attemptContext?.reason;
    const skipped = attemptContext?.skipped;
    const failover = failoverReasonOf(reason) ?? (skipped?.length ? "breaker_open" : undefined);
    // Literal keys (the names in ATTR): V8 builds such an object from a fixed shape, which matters per attempt.
    const attributes: Attributes = {
      "verifyd.provider": adapter.name,
      "verifyd.channel": message.channel,
      "verifyd.country": attemptContext?.country ?? "unknown",
      "verifyd.attempt.number": message.reference.attemptNumber,
      "verifyd.attempt.reason": attemptReasonText(reason),
      "verifyd.verification.id": message.reference.verificationId,
      "verifyd.phone_number": maskPhone(message.to),
      "verifyd.breaker.state": this.#breakerState(adapter.name, message.channel),
    };
    if (failover) attributes[ATTR.failoverReason] = failover;
    if (skipped?.length) attributes[ATTR.skipped] = skippedAttribute(skipped);

    const timerSpan = timerSpanFor(this.#tracer, reason);
    const parent = timerSpan ? trace.setSpan(context.active(), timerSpan) : context.active();
    const span = this.#tracer.startSpan(spanName(adapter.name), { kind: SpanKind.CLIENT, attributes }, parent);
    try {
      const outcome = await context.with(trace.setSpan(parent, span), this.#inner.send, this.#inner, adapter, message);
      if (outcome.ok) {
        span.setAttributes({ [ATTR.attemptOutcome]: "accepted", [ATTR.providerMessageId]: outcome.providerMessageId });
      } else {
        const { error } = outcome;
        // The breaker answers for a provider it has opened without calling it.
        span.setAttributes({ [ATTR.attemptOutcome]: error.kind === "breaker_open" ? "breaker_open" : "rejected", [ATTR.errorKind]: error.kind });
        span.setStatus({ code: SpanStatusCode.ERROR, message: maskPhonesIn(describeError(error)) });
      }
      return outcome;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: maskPhonesIn((error as Error).message) });
      throw error;
    } finally {
      span.end();
    }
  }
}

const spanNames = new Map<string, string>();

/** "send <provider>", made once per provider rather than per attempt. */
function spanName(provider: string): string {
  let name = spanNames.get(provider);
  if (name === undefined) {
    name = `send ${provider}`;
    spanNames.set(provider, name);
  }
  return name;
}

/** What GatewayOptions.decorate takes: wraps the breaker-guarded caller, reading the breaker's state per attempt. */
export type CallDecorator = NonNullable<GatewayOptions["decorate"]>;

/** Attempt spans around the gateway's breaker-guarded caller, for GatewayOptions.decorate. */
export function tracingDecorator(tracer: Tracer): CallDecorator {
  return (inner, breakerState) => new TracingCaller(inner, tracer, breakerState);
}
