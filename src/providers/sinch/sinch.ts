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
import { type SinchProviderConfig, sinchBaseUrl } from "./config.js";
import { asSinchError, sinchErrorKind } from "./errors.js";
import { callbackTokenProblem, sinchSignatureProblem } from "./signature.js";

/** A recipient delivery report, from a callback or GET .../delivery_report/{msisdn}. */
interface RecipientDeliveryReport {
  type: string;
  batch_id: string;
  recipient?: string;
  code?: number;
  status: string;
  at?: string;
  operator_status_at?: string;
}

/**
 * SMS through the Sinch SMS REST API: one batch per message, with a
 * per-recipient delivery report posted to the attempt's callback URL (which
 * carries the provider's webhook token, since Sinch signs SMS callbacks only
 * when the service plan has HMAC enabled).
 */
export class SinchProvider implements ProviderAdapter {
  readonly type = "sinch";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #config: SinchProviderConfig;
  readonly #context: ProviderContext;
  readonly #batchesUrl: string;

  constructor(config: SinchProviderConfig, context: ProviderContext) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#config = config;
    this.#context = context;
    this.#batchesUrl = joinUrl(sinchBaseUrl(config), `/xms/v1/${encodeURIComponent(config.service_plan_id)}/batches`);
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const batch: Record<string, unknown> = {
      to: [message.to],
      body: message.body,
      delivery_report: "per_recipient",
      // Sinch echoes client_reference in every delivery report of the batch.
      client_reference: message.idempotencyKey,
    };
    if (this.#config.from !== undefined) batch.from = this.#config.from;
    if (message.callbackUrl) batch.callback_url = this.#withToken(message.callbackUrl);
    const response = await providerFetch(this.name, this.#batchesUrl, {
      method: "POST",
      headers: this.#headers({ "content-type": "application/json" }),
      body: JSON.stringify(batch),
      signal,
    });
    if (response.status < 200 || response.status >= 300) throw this.#rejection(response);
    const id = (response.json as { id?: unknown } | undefined)?.id;
    if (typeof id !== "string" || id === "") throw new ProviderError("unavailable", "Sinch accepted the batch without a batch id", this.name);
    return { providerMessageId: id };
  }

  /**
   * Sinch reports per recipient, and the recipient is not in the batch id:
   * read the batch for it, then its recipient delivery report.
   */
  async queryStatus(batchId: string, signal: AbortSignal): Promise<DeliveryReport | undefined> {
    const batchUrl = `${this.#batchesUrl}/${encodeURIComponent(batchId)}`;
    const batch = await providerFetch(this.name, batchUrl, { method: "GET", headers: this.#headers(), signal });
    if (batch.status === 404) return undefined;
    if (batch.status < 200 || batch.status >= 300) throw this.#rejection(batch);
    const recipient = (batch.json as { to?: unknown } | undefined)?.to;
    if (!Array.isArray(recipient) || typeof recipient[0] !== "string") return undefined;

    const msisdn = recipient[0].replace(/^\+/, "");
    const response = await providerFetch(this.name, `${batchUrl}/delivery_report/${encodeURIComponent(msisdn)}`, {
      method: "GET",
      headers: this.#headers(),
      signal,
    });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status >= 300) throw this.#rejection(response);
    const report = asRecipientReport(response.json);
    if (!report) throw new ProviderError("unavailable", "Sinch returned a delivery report it does not document", this.name);
    return this.#report(report, undefined);
  }

  async handleWebhook(request: WebhookRequest): Promise<WebhookResponse> {
    if (request.method !== "POST") throw new WebhookError(405, "Sinch posts its callbacks");
    const tokenProblem = callbackTokenProblem(request.url, this.#config.webhook_secret);
    if (tokenProblem) throw new WebhookError(403, tokenProblem);
    if (this.#config.hmac_secret !== undefined) {
      const problem = sinchSignatureProblem(request, this.#config.hmac_secret, this.#context.now(), this.#config.replay_window);
      if (problem) throw new WebhookError(403, problem);
    }
    if (!isJson(request.headers["content-type"])) throw new WebhookError(415, "Sinch callbacks are application/json");

    const callback = parseJson(request.body);
    if (!callback || typeof callback.type !== "string") throw new WebhookError(400, "not a Sinch callback");
    // Batch summaries and inbound messages (mo_text, mo_binary) carry nothing per attempt.
    if (callback.type !== "recipient_delivery_report_sms") return { reports: [] };
    const report = asRecipientReport(callback);
    if (!report) throw new WebhookError(400, "recipient delivery report without batch_id and status");
    return { reports: [this.#report(report, referenceFromSubpath(request.subpath))] };
  }

  #report(report: RecipientDeliveryReport, reference: DeliveryReport["reference"]): WebhookReport {
    const state = deliveryState(report.status);
    const at = Date.parse(report.operator_status_at ?? report.at ?? "");
    return {
      provider: this.name,
      state,
      reference,
      providerMessageId: report.batch_id,
      providerStatus: report.status,
      error: state === "undelivered" ? `${report.code ?? "?"}: ${report.status}` : undefined,
      at: Number.isFinite(at) ? at : this.#context.now(),
    };
  }

  #withToken(callbackUrl: string): string {
    const url = new URL(callbackUrl);
    url.searchParams.set("token", this.#config.webhook_secret);
    return url.toString();
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    return { authorization: `Bearer ${this.#config.api_token}`, accept: "application/json", ...extra };
  }

  #rejection(response: ProviderResponse): ProviderError {
    const error = asSinchError(response.json);
    const described = [error?.code, error?.text].filter(Boolean).join(" ");
    return new ProviderError(sinchErrorKind(response.status, error), `HTTP ${response.status}${described ? ` ${described}` : ""}`, this.name);
  }
}

/**
 * Sinch's delivery report statuses: Queued and Dispatched are intermediate;
 * Delivered is the only success; Unknown (delivered to the SMSC, receipt
 * missing or unreadable) is final but proves nothing, so it stays
 * intermediate and slow failover keeps running; the rest are failures.
 */
function deliveryState(status: string): DeliveryState {
  switch (status) {
    case "Delivered":
      return "delivered";
    case "Aborted":
    case "Cancelled":
    case "Rejected":
    case "Deleted":
    case "Failed":
    case "Expired":
      return "undelivered";
    default:
      return "intermediate";
  }
}

function asRecipientReport(value: unknown): RecipientDeliveryReport | undefined {
  const report = value as Partial<RecipientDeliveryReport> | undefined;
  if (typeof report !== "object" || report === null) return undefined;
  if (typeof report.batch_id !== "string" || report.batch_id === "" || typeof report.status !== "string") return undefined;
  return report as RecipientDeliveryReport;
}
