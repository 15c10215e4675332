import type { Channel } from "../../verification/model.js";
import {
  type DeliveryReport,
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
import { callbackTokenProblem, withCallbackToken } from "./callback-token.js";
import type { InfobipProviderConfig } from "./config.js";
import { deliveryState, describeInfobipError, type InfobipApiError, type InfobipStatus, infobipErrorKind, rejectionKind } from "./statuses.js";

/** One message's report: an entry of a delivery-report webhook's or the logs endpoint's `results`. */
interface InfobipResult {
  messageId: string;
  status: InfobipStatus;
  error?: { id?: number; name?: string; description?: string; permanent?: boolean };
  doneAt?: string;
  sentAt?: string;
}

/**
 * SMS through Infobip's SMS API v3 (`POST /sms/3/messages`, the current
 * endpoint; /sms/2/text/advanced is deprecated). Delivery reports go to the
 * attempt's callback URL, set per message in `webhooks.delivery.url`.
 */
export class InfobipProvider implements ProviderAdapter {
  readonly type = "infobip";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #config: InfobipProviderConfig;
  readonly #context: ProviderContext;

  constructor(config: InfobipProviderConfig, context: ProviderContext) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#config = config;
    this.#context = context;
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const sms: Record<string, unknown> = {
      // Infobip documents destinations in international format without the plus.
      destinations: [{ to: message.to.replace(/^\+/, "") }],
      content: { text: message.body },
    };
    if (this.#config.from !== undefined) sms.sender = this.#config.from;
    if (message.callbackUrl) {
      sms.webhooks = {
        // Intermediate reports keep the attempt's state current; only the final one ends slow failover.
        delivery: { url: withCallbackToken(message.callbackUrl, this.#config.webhook_secret), intermediateReport: true },
        contentType: "application/json",
      };
    }
    const response = await providerFetch(this.name, joinUrl(this.#config.base_url, "/sms/3/messages"), {
      method: "POST",
      headers: this.#headers({ "content-type": "application/json" }),
      body: JSON.stringify({ messages: [sms] }),
      signal,
    });
    if (response.status < 200 || response.status >= 300) throw this.#rejection(response);

    const accepted = (response.json as { messages?: Array<{ messageId?: unknown; status?: InfobipStatus }> } | undefined)?.messages?.[0];
    // A 200 can still refuse the message itself: its status is then in the REJECTED group.
    if (accepted?.status?.groupName === "REJECTED") {
      const status = accepted.status;
      throw new ProviderError(rejectionKind(status), `${status.name ?? "REJECTED"}: ${status.description ?? "rejected"}`, this.name);
    }
    if (typeof accepted?.messageId !== "string" || accepted.messageId === "") {
      throw new ProviderError("unavailable", "Infobip accepted the request without a message id", this.name);
    }
    return { providerMessageId: accepted.messageId };
  }

  async queryStatus(providerMessageId: string, signal: AbortSignal): Promise<DeliveryReport | undefined> {
    const url = `${joinUrl(this.#config.base_url, "/sms/3/logs")}?messageId=${encodeURIComponent(providerMessageId)}`;
    const response = await providerFetch(this.name, url, { method: "GET", headers: this.#headers(), signal });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status >= 300) throw this.#rejection(response);
    const results = (response.json as { results?: unknown } | undefined)?.results;
    if (!Array.isArray(results)) throw new ProviderError("unavailable", "Infobip returned logs it does not document", this.name);
    const result = results.map(asResult).find((candidate) => candidate?.messageId === providerMessageId);
    return result ? this.#report(result, undefined) : undefined;
  }

  async handleWebhook(request: WebhookRequest): Promise<WebhookResponse> {
    if (request.method !== "POST") throw new WebhookError(405, "Infobip posts its delivery reports");
    const tokenProblem = callbackTokenProblem(request.url, this.#config.webhook_secret);
    if (tokenProblem) throw new WebhookError(403, tokenProblem);
    if (!isJson(request.headers["content-type"])) throw new WebhookError(415, "Infobip delivery reports are application/json");

    const results = parseJson(request.body)?.results;
    if (!Array.isArray(results)) throw new WebhookError(400, "not an Infobip delivery report");
    const parsed = results.map(asResult);
    if (parsed.some((result) => result === undefined)) throw new WebhookError(400, "delivery report result without messageId and status");
    const reference = referenceFromSubpath(request.subpath);
    return { reports: (parsed as InfobipResult[]).map((result) => this.#report(result, reference)) };
  }

  #report(result: InfobipResult, reference: DeliveryReport["reference"]): WebhookReport {
    const state = deliveryState(result.status);
    const at = parseInfobipTime(result.doneAt ?? result.sentAt);
    const failure = result.error && result.error.id !== 0 ? result.error : undefined;
    return {
      provider: this.name,
      state,
      reference,
      providerMessageId: result.messageId,
      providerStatus: result.status.name ?? result.status.groupName,
      error: state === "undelivered" ? [result.status.name, failure?.name].filter(Boolean).join(": ") || undefined : undefined,
      at: at ?? this.#context.now(),
    };
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `App ${this.#config.api_key}`, accept: "application/json", ...extra };
  }

  #rejection(response: ProviderResponse): ProviderError {
    const error = (typeof response.json === "object" && response.json !== null ? response.json : undefined) as InfobipApiError | undefined;
    const described = describeInfobipError(error);
    return new ProviderError(infobipErrorKind(response.status, error), `HTTP ${response.status}${described ? ` ${described}` : ""}`, this.name);
  }
}

function asResult(value: unknown): InfobipResult | undefined {
  const result = value as Partial<InfobipResult> | undefined;
  if (typeof result !== "object" || result === null) return undefined;
  if (typeof result.messageId !== "string" || result.messageId === "") return undefined;
  if (typeof result.status !== "object" || result.status === null) return undefined;
  return result as InfobipResult;
}

/** Infobip writes times as "2019-11-09T16:00:00.000+0000"; the offset needs its colon for Date.parse. */
function parseInfobipTime(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const parsed = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  return Number.isFinite(parsed) ? parsed : undefined;
}
