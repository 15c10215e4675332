import { type Channel, PROVIDER_ERROR_KINDS, type ProviderErrorKind } from "../verification/model.js";
import type { AttemptReference, DeliveryReport, OutboundMessage as DomainOutboundMessage, ReceiptInbox } from "../verification/ports.js";

export type { AttemptContext, AttemptReference, DeliveryReport, DeliveryState } from "../verification/ports.js";

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
  /**
   * The messages this provider "sent" to `to` (or to anyone), oldest first,
   * for providers that keep them: the simulator does, so demos and tests can
   * read the code a user would have received (GET /sim/outbox, see outbox.ts).
   */
  outbox?(to?: string): readonly SentMessage[];
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

/**
 * A delivery report as a webhook carried it. It always names the provider's
 * message, from the signed body: signatures cover the body, not the callback
 * path, so the reference read from the path only says which attempt the
 * receipt claims, and the message id is what proves it (applyReceipt
 * compares the two). A body that names no message yields no report.
 */
export type WebhookReport = DeliveryReport & { providerMessageId: string };

export interface WebhookResponse {
  reports: WebhookReport[];
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

/**
 * A code message as an adapter receives it: the domain's message plus where
 * the provider should post its receipts (see callbackUrl; empty when there
 * is no public URL).
 */
export interface OutboundMessage extends DomainOutboundMessage {
  callbackUrl: string;
}

/** A message as a provider with an outbox kept it. */
export interface SentMessage {
  provider: string;
  channel: Channel;
  to: string;
  body: string;
  /** When it was accepted, ISO 8601. */
  at: string;
}

export interface SendResult {
  providerMessageId: string;
}

/** Where adapters hand the receipts they receive. */
export type ReceiptSink = ReceiptInbox;

export { PROVIDER_ERROR_KINDS, type ProviderErrorKind };

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
