import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Channel } from "../../verification/model.js";
import {
  type AttemptReference,
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
import type { WhatsAppCloudProviderConfig } from "./config.js";
import { graphError, whatsappErrorKind } from "./errors.js";

/** One entry of `entry[].changes[].value.statuses[]` in a messages webhook. */
interface StatusUpdate {
  id: string;
  status: string;
  timestamp?: string;
  recipient_id?: string;
  biz_opaque_callback_data?: string;
  errors?: Array<{ code?: number; title?: string; message?: string }>;
}

/**
 * WhatsApp codes through Meta's Cloud API, as an approved authentication
 * template whose body and copy-code button both carry the code. Meta posts
 * all of an app's webhooks to one URL, so there is no per-message callback:
 * the attempt reference rides in `biz_opaque_callback_data`, which Meta hands
 * back on status webhooks, and the message id identifies it otherwise.
 */
export class WhatsAppCloudProvider implements ProviderAdapter {
  readonly type = "whatsapp-cloud";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #config: WhatsAppCloudProviderConfig;
  readonly #context: ProviderContext;

  constructor(config: WhatsAppCloudProviderConfig, context: ProviderContext) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#config = config;
    this.#context = context;
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const code = [{ type: "text", text: message.code }];
    const request = {
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: message.to,
      type: "template",
      template: {
        name: this.#config.template.name,
        language: { code: this.#templateLanguage(message.locale) },
        components: [
          { type: "body", parameters: code },
          // Authentication templates' copy-code button is a URL button at index 0 whose parameter is the code.
          { type: "button", sub_type: "url", index: "0", parameters: code },
        ],
      },
      biz_opaque_callback_data: `${message.reference.verificationId}/${message.reference.attemptNumber}`,
    };
    const url = joinUrl(this.#config.base_url, `/${this.#config.api_version}/${encodeURIComponent(this.#config.phone_number_id)}/messages`);
    const response = await providerFetch(this.name, url, {
      method: "POST",
      headers: { authorization: `Bearer ${this.#config.access_token}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(request),
      signal,
    });
    if (response.status < 200 || response.status >= 300) throw this.#rejection(response);
    const id = (response.json as { messages?: Array<{ id?: unknown }> } | undefined)?.messages?.[0]?.id;
    if (typeof id !== "string" || id === "") throw new ProviderError("unavailable", "Meta accepted the message without a message id", this.name);
    return { providerMessageId: id };
  }

  async handleWebhook(request: WebhookRequest): Promise<WebhookResponse> {
    if (request.method === "GET") return this.#verificationHandshake(request);
    if (request.method !== "POST") throw new WebhookError(405, "Meta posts webhooks and verifies with GET");
    const problem = signatureProblem(request, this.#config.app_secret);
    if (problem) throw new WebhookError(403, problem);
    if (!isJson(request.headers["content-type"])) throw new WebhookError(415, "Meta webhooks are application/json");

    const notification = parseJson(request.body);
    if (!notification || !Array.isArray(notification.entry)) throw new WebhookError(400, "not a WhatsApp Business Account notification");
    const reports: WebhookReport[] = [];
    for (const entry of notification.entry as Array<{ changes?: unknown }>) {
      if (!Array.isArray(entry?.changes)) throw new WebhookError(400, "entry without changes");
      for (const change of entry.changes as Array<{ field?: unknown; value?: Record<string, unknown> }>) {
        if (change?.field !== "messages" || typeof change.value !== "object" || change.value === null) continue;
        // One app can serve several business numbers; another number's receipts are not ours to report.
        const metadata = change.value.metadata as { phone_number_id?: unknown } | undefined;
        if (metadata?.phone_number_id !== undefined && metadata.phone_number_id !== this.#config.phone_number_id) continue;
        const statuses = change.value.statuses;
        if (statuses === undefined) continue; // inbound messages and the like
        if (!Array.isArray(statuses)) throw new WebhookError(400, "statuses is not a list");
        for (const update of statuses) {
          const status = asStatusUpdate(update);
          if (!status) throw new WebhookError(400, "status without id and status");
          reports.push(this.#report(status));
        }
      }
    }
    return { reports };
  }

  /**
   * Meta's subscription check: GET with hub.mode=subscribe, hub.verify_token
   * and hub.challenge; answering the challenge, and only for our token,
   * confirms the endpoint.
   */
  #verificationHandshake(request: WebhookRequest): WebhookResponse {
    let query: URLSearchParams;
    try {
      query = new URL(request.url).searchParams;
    } catch {
      throw new WebhookError(400, "unreadable verification request");
    }
    const challenge = query.get("hub.challenge");
    if (query.get("hub.mode") !== "subscribe" || !challenge) throw new WebhookError(400, "not a webhook verification request");
    if (!secretsEqual(query.get("hub.verify_token") ?? "", this.#config.verify_token)) throw new WebhookError(403, "verify token does not match");
    return { reports: [], status: 200, contentType: "text/plain", body: challenge };
  }

  #report(status: StatusUpdate): WebhookReport {
    const state = deliveryState(status.status);
    const failure = status.errors?.[0];
    const at = status.timestamp !== undefined && /^\d+$/.test(status.timestamp) ? Number(status.timestamp) * 1000 : this.#context.now();
    return {
      provider: this.name,
      state,
      reference: referenceFromCallbackData(status.biz_opaque_callback_data),
      providerMessageId: status.id,
      providerStatus: status.status,
      error: state === "undelivered" && failure ? [failure.code, failure.title ?? failure.message].filter((part) => part !== undefined).join(": ") : undefined,
      at,
    };
  }

  #templateLanguage(locale: string): string {
    const { languages, language } = this.#config.template;
    return languages[locale] ?? languages[locale.split("-")[0] ?? ""] ?? language;
  }

  #rejection(response: ProviderResponse): ProviderError {
    const error = graphError(response.json);
    const described = [error?.code, error?.message, error?.error_data?.details].filter((part) => part !== undefined).join(" ");
    return new ProviderError(whatsappErrorKind(response.status, error), `HTTP ${response.status}${described ? ` ${described}` : ""}`, this.name);
  }
}

/**
 * sent: Meta handed it to WhatsApp; delivered: on the device; read: opened,
 * which implies delivered (read may be the only receipt when they race);
 * failed: not delivered. Anything else Meta adds stays intermediate.
 */
function deliveryState(status: string): DeliveryState {
  switch (status) {
    case "delivered":
    case "read":
      return "delivered";
    case "failed":
      return "undelivered";
    default:
      return "intermediate";
  }
}

function referenceFromCallbackData(data: string | undefined): AttemptReference | undefined {
  return data ? referenceFromSubpath(`/${data}`) : undefined;
}

/** X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body, keyed with the app secret. */
function signatureProblem(request: WebhookRequest, appSecret: string): string | undefined {
  const header = request.headers["x-hub-signature-256"];
  if (!header) return "missing X-Hub-Signature-256";
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return "malformed X-Hub-Signature-256";
  const expected = createHmac("sha256", appSecret).update(request.body).digest();
  return timingSafeEqual(Buffer.from(match[1]!, "hex"), expected) ? undefined : "X-Hub-Signature-256 does not match";
}

function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());
}

function asStatusUpdate(value: unknown): StatusUpdate | undefined {
  const status = value as Partial<StatusUpdate> | undefined;
  if (typeof status !== "object" || status === null) return undefined;
  if (typeof status.id !== "string" || status.id === "" || typeof status.status !== "string") return undefined;
  return status as StatusUpdate;
}
