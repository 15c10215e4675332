import type { Channel } from "../verification/model.js";

/**
 * The one interface every provider implements. An adapter is a plain object:
 * circuit breaking, scoring and tracing wrap it from outside, so adding a
 * provider touches only its own folder.
 */
export interface ProviderAdapter {
  readonly name: string;
  readonly type: string;
  readonly channels: readonly Channel[];
  /** Price of one message, in the configured currency unit. */
  readonly cost: number;
  /**
   * Sends one code message. Resolves when the provider has accepted it;
   * rejects with a ProviderError when the provider refuses. Must stop work
   * when `signal` aborts.
   */
  send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult>;
  /** Asks the provider for a message's state, where the provider offers that. */
  queryStatus?(providerMessageId: string, signal: AbortSignal): Promise<DeliveryReport | undefined>;
  /** Releases timers and sockets. */
  close?(): Promise<void> | void;
}

export interface OutboundMessage {
  to: string;
  channel: Channel;
  /** The code, for providers that template it themselves (voice, WhatsApp). */
  code: string;
  /** The rendered text to send. */
  body: string;
  locale: string;
  /** "<verification id>-attempt-<n>", so a provider can collapse duplicates. */
  idempotencyKey: string;
  /** Routes the provider's receipt back to this attempt. */
  reference: AttemptReference;
}

export interface AttemptReference {
  verificationId: string;
  attemptNumber: number;
}

export interface SendResult {
  providerMessageId: string;
}

export type DeliveryState = "delivered" | "undelivered" | "intermediate";

/** A delivery receipt, whether pushed by a webhook or pulled by queryStatus. */
export interface DeliveryReport {
  provider: string;
  state: DeliveryState;
  /** Present when the provider's callback carried our reference. */
  reference?: AttemptReference;
  providerMessageId?: string;
  /** The provider's own status word, e.g. "sent", "DELIVRD". */
  providerStatus?: string;
  error?: string;
  at: number;
}

/** Where adapters hand the receipts they receive. */
export interface ReceiptSink {
  report(receipt: DeliveryReport): void;
}

/**
 * Why a provider refused a send. `invalid_number` is about the number itself,
 * every other kind is about the provider or its route.
 */
export type ProviderErrorKind = "invalid_number" | "no_route" | "rate_limited" | "auth" | "unavailable";

export const PROVIDER_ERROR_KINDS: readonly ProviderErrorKind[] = [
  "invalid_number",
  "no_route",
  "rate_limited",
  "auth",
  "unavailable",
];

export class ProviderError extends Error {
  override readonly name = "ProviderError";

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly provider: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
