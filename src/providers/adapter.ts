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
  /**
   * Verifies and reads a webhook the provider posted to
   * `/webhooks/<provider name>/...`: checks the provider's signature before
   * anything else, and returns the delivery reports it carried. Throws a
   * WebhookError for a bad signature (403) or a malformed body (400).
   */
  handleWebhook?(request: WebhookRequest): Promise<WebhookResponse>;
  /** Releases timers and sockets. */
  close?(): Promise<void> | void;
}

/** What an adapter gets besides its own config. */
export interface ProviderContext {
  receipts: ReceiptSink;
  /** Epoch ms; injected so tests control replay windows. */
  now(): number;
}

export interface WebhookRequest {
  method: string;
  /** The full URL as the provider called it (public_url + path + query): signatures cover it. */
  url: string;
  /** The path after `/webhooks/<provider name>`, e.g. "/ver_abc/2". */
  subpath: string;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

export interface WebhookResponse {
  reports: DeliveryReport[];
  /** 200 unless the provider expects otherwise. */
  status?: number;
  contentType?: string;
  body?: string;
}

export class WebhookError extends Error {
  override readonly name = "WebhookError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The callback URL verifyd hands a provider for one attempt, so its receipt
 * finds the attempt without a lookup: `<public url>/webhooks/<provider>/<verification id>/<attempt>`.
 */
export function callbackUrl(publicUrl: string, provider: string, reference: AttemptReference): string {
  return `${publicUrl}/webhooks/${encodeURIComponent(provider)}/${encodeURIComponent(reference.verificationId)}/${reference.attemptNumber}`;
}

/** Reads the reference back out of a webhook subpath made by callbackUrl; undefined when it is not one. */
export function referenceFromSubpath(subpath: string): AttemptReference | undefined {
  const match = /^\/([A-Za-z0-9_-]{1,64})\/([1-9][0-9]{0,3})\/?$/.exec(subpath.split("?")[0] ?? "");
  if (!match) return undefined;
  return { verificationId: match[1]!, attemptNumber: Number(match[2]) };
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
  /** Where the provider should post this message's receipts (see callbackUrl); empty when there is none. */
  callbackUrl: string;
  /** Where and why this attempt goes, for tracing (src/telemetry); adapters need not read it. */
  attemptContext?: AttemptContext;
}

export interface AttemptContext {
  /** ISO 3166-1 alpha-2 country of the number. */
  country: string;
  /**
   * What led to this attempt: "start", "resend", "takeover", or the failover
   * that did: "rejected: <kind>", "no_receipt", "undelivered", "escalated to voice".
   */
  reason: string;
  /** Providers passed over on the way to this one, as "<name> (<why>)": their breaker is open. */
  skipped?: readonly string[];
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
