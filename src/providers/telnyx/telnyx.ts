import type { KeyObject } from "node:crypto";
import type { Channel } from "../../verification/model.js";
import {
  type DeliveryReport,
  type DeliveryState,
  type OutboundMessage,
  type ProviderAdapter,
  type ProviderContext,
  ProviderError,
  referenceFromSubpath,
  type SendResult,
  WebhookError,
  type WebhookReport,
  type WebhookRequest,
  type WebhookResponse,
} from "../adapter.js";
import { joinUrl, type ProviderResponse, providerFetch } from "../http.js";
import { isJson, parseJson } from "../webhook-body.js";
import type { TelnyxProviderConfig } from "./config.js";
import { firstTelnyxError, telnyxErrorKind } from "./errors.js";
import { telnyxPublicKey, telnyxSignatureProblem } from "./signature.js";

/** The message record Telnyx returns from POST/GET /v2/messages and carries in webhook payloads. */
interface TelnyxMessage {
  id: string;
  to: Array<{ phone_number?: string; status: string }>;
  errors?: Array<{ code?: string | number; title?: string; detail?: string }>;
}

/**
 * SMS through the Telnyx Messaging API v2. Each message names its own
 * `webhook_url` (the attempt's callback URL) and turns profile webhooks off,
 * so its receipts come back to this attempt only, signed with Ed25519.
 */
export class TelnyxProvider implements ProviderAdapter {
  readonly type = "telnyx";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #config: TelnyxProviderConfig;
  readonly #context: ProviderContext;
  readonly #publicKey: KeyObject;

  constructor(config: TelnyxProviderConfig, context: ProviderContext) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#config = config;
    this.#context = context;
    this.#publicKey = telnyxPublicKey(config.public_key);
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const request: Record<string, unknown> = { to: message.to, text: message.body };
    if (this.#config.from !== undefined) request.from = this.#config.from;
    if (this.#config.messaging_profile_id !== undefined) request.messaging_profile_id = this.#config.messaging_profile_id;
    if (message.callbackUrl) {
      request.webhook_url = message.callbackUrl;
      // Profile webhooks would carry no attempt reference; this message's receipts go to its own URL only.
      request.use_profile_webhooks = false;
    }
    const response = await providerFetch(this.name, joinUrl(this.#config.base_url, "/v2/messages"), {
      method: "POST",
      headers: this.#headers({ "content-type": "application/json" }),
      body: JSON.stringify(request),
      signal,
    });
    if (response.status < 200 || response.status >= 300) throw this.#rejection(response);
    const id = (response.json as { data?: { id?: unknown } } | undefined)?.data?.id;
    if (typeof id !== "string" || id === "") throw new ProviderError("unavailable", "Telnyx accepted the message without a message id", this.name);
    return { providerMessageId: id };
  }

  async queryStatus(providerMessageId: string, signal: AbortSignal): Promise<DeliveryReport | undefined> {
    const response = await providerFetch(this.name, joinUrl(this.#config.base_url, `/v2/messages/${encodeURIComponent(providerMessageId)}`), {
      method: "GET",
      headers: this.#headers(),
      signal,
    });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status >= 300) throw this.#rejection(response);
    const message = asTelnyxMessage((response.json as { data?: unknown } | undefined)?.data);
    if (!message) throw new ProviderError("unavailable", "Telnyx returned a message record it does not document", this.name);
    return this.#reports(message, undefined, this.#context.now())[0];
  }

  async handleWebhook(request: WebhookRequest): Promise<WebhookResponse> {
    if (request.method !== "POST") throw new WebhookError(405, "Telnyx posts its webhooks");
    const problem = telnyxSignatureProblem(
      { signature: request.headers["telnyx-signature-ed25519"], timestamp: request.headers["telnyx-timestamp"], body: request.body },
      this.#publicKey,
      this.#context.now(),
      this.#config.replay_window,
    );
    if (problem) throw new WebhookError(403, problem);
    if (!isJson(request.headers["content-type"])) throw new WebhookError(415, "Telnyx webhooks are application/json");

    const data = parseJson(request.body)?.data as { event_type?: unknown; occurred_at?: unknown; payload?: unknown } | undefined;
    if (typeof data !== "object" || data === null || typeof data.event_type !== "string") {
      throw new WebhookError(400, "not a Telnyx webhook event");
    }
    // Inbound messages and other events say nothing about our messages.
    if (data.event_type !== "message.sent" && data.event_type !== "message.finalized") return { reports: [] };
    const message = asTelnyxMessage(data.payload);
    if (!message) throw new WebhookError(400, `${data.event_type} without a message id and recipients`);
    const occurredAt = typeof data.occurred_at === "string" ? Date.parse(data.occurred_at) : Number.NaN;
    const at = Number.isFinite(occurredAt) ? occurredAt : this.#context.now();
    return { reports: this.#reports(message, referenceFromSubpath(request.subpath), at) };
  }

  #reports(message: TelnyxMessage, reference: DeliveryReport["reference"], at: number): WebhookReport[] {
    const failure = message.errors?.[0];
    return message.to.map((recipient) => {
      const state = deliveryState(recipient.status);
      return {
        provider: this.name,
        state,
        reference,
        providerMessageId: message.id,
        providerStatus: recipient.status,
        error: state === "undelivered" && failure ? [failure.code, failure.title ?? failure.detail].filter(Boolean).join(": ") : undefined,
        at,
      };
    });
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.#config.api_key}`, accept: "application/json", ...extra };
  }

  #rejection(response: ProviderResponse): ProviderError {
    const error = firstTelnyxError(response.json);
    const described = [error?.code, error?.title ?? error?.detail].filter(Boolean).join(" ");
    return new ProviderError(telnyxErrorKind(response.status, error), `HTTP ${response.status}${described ? ` ${described}` : ""}`, this.name);
  }
}

/**
 * Telnyx v2 recipient statuses: queued, sending, sent, delivered,
 * sending_failed, delivery_failed, delivery_unconfirmed, expired. Only a
 * carrier-confirmed delivery counts as delivered; delivery_unconfirmed is
 * final but proves nothing, so it stays intermediate and slow failover runs.
 */
function deliveryState(status: string): DeliveryState {
  switch (status) {
    case "delivered":
      return "delivered";
    case "sending_failed":
    case "delivery_failed":
    case "expired":
      return "undelivered";
    default:
      return "intermediate";
  }
}

function asTelnyxMessage(value: unknown): TelnyxMessage | undefined {
  const candidate = value as Partial<TelnyxMessage> | undefined;
  if (typeof candidate !== "object" || candidate === null) return undefined;
  if (typeof candidate.id !== "string" || candidate.id === "" || !Array.isArray(candidate.to)) return undefined;
  if (!candidate.to.every((recipient) => typeof recipient === "object" && recipient !== null && typeof recipient.status === "string")) return undefined;
  return { id: candidate.id, to: candidate.to, errors: Array.isArray(candidate.errors) ? candidate.errors : undefined };
}
