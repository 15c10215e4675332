import { MessageRenderer } from "../../messages/templates.js";
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
import { joinUrl, kindForStatus, type ProviderResponse, providerFetch } from "../http.js";
import { mediaType } from "../webhook-body.js";
import type { VonageProviderConfig } from "./config.js";
import { type VonageProblem, vonageSmsErrorKind, vonageVoiceErrorKind } from "./errors.js";
import { VonageApplicationToken } from "./jwt.js";
import { codeCallNcco } from "./ncco.js";
import { isVonageSignature, verifyVonageWebhookJwt } from "./signature.js";

/** SMS delivery receipt statuses. "unknown" means the carrier said nothing yet: not a failure. */
const RECEIPT_STATES: Record<string, DeliveryState> = {
  accepted: "intermediate",
  buffered: "intermediate",
  unknown: "intermediate",
  delivered: "delivered",
  expired: "undelivered",
  failed: "undelivered",
  rejected: "undelivered",
};

/** Voice API call statuses, as the event webhook and GET /v1/calls/{uuid} give them. */
const CALL_STATES: Record<string, DeliveryState> = {
  started: "intermediate",
  ringing: "intermediate",
  answered: "intermediate",
  completed: "delivered",
  busy: "undelivered",
  cancelled: "undelivered",
  failed: "undelivered",
  rejected: "undelivered",
  timeout: "undelivered",
  unanswered: "undelivered",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Vonage's SMS API (`POST /sms/json`, form-encoded with api_key and
 * api_secret) and Voice API (`POST /v1/calls` with an application JWT and an
 * inline NCCO). Receipts come back to the attempt's callback URL: SMS
 * delivery receipts signed with `sig` (Vonage's signed webhooks), call events
 * with a signature-secret JWT; both are verified, and replays refused by
 * their timestamps, before anything is read.
 */
export class VonageProvider implements ProviderAdapter {
  readonly type = "vonage";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #config: VonageProviderConfig;
  readonly #context: ProviderContext;
  readonly #voiceToken: VonageApplicationToken | undefined;

  constructor(config: VonageProviderConfig, context: ProviderContext) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#config = config;
    this.#context = context;
    this.#voiceToken = config.voice && new VonageApplicationToken(config.voice.application_id, config.voice.private_key, context.now);
  }

  send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    return message.channel === "voice" ? this.#call(message, signal) : this.#sms(message, signal);
  }

  /**
   * The Voice API's view of a call. The SMS API has no per-message lookup, so
   * only call UUIDs are asked about; anything else is undefined.
   */
  async queryStatus(providerMessageId: string, signal: AbortSignal): Promise<DeliveryReport | undefined> {
    const voice = this.#config.voice;
    if (!voice || !this.#voiceToken || !UUID.test(providerMessageId)) return undefined;
    const response = await providerFetch(this.name, joinUrl(voice.base_url, `/v1/calls/${encodeURIComponent(providerMessageId)}`), {
      method: "GET",
      headers: { authorization: `Bearer ${this.#voiceToken.mint()}`, accept: "application/json" },
      signal,
    });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status >= 300) throw this.#voiceRefusal(response, undefined);
    const call = (response.json ?? {}) as Record<string, unknown>;
    const status = typeof call.status === "string" ? call.status : undefined;
    const state = status && callState(status, call.duration);
    if (!status || !state) return undefined;
    return { provider: this.name, state, providerMessageId, providerStatus: status, error: state === "undelivered" ? status : undefined, at: this.#context.now() };
  }

  async handleWebhook(request: WebhookRequest): Promise<WebhookResponse> {
    const secret = this.#config.signature_secret;
    // Without the signature secret nothing Vonage sends can be told from a forgery.
    if (!secret) throw new WebhookError(403, "vonage receipts need signature_secret");
    const authorization = request.headers.authorization ?? "";
    return /^bearer /i.test(authorization) ? this.#callEvent(request, authorization.slice(7).trim(), secret) : this.#smsReceipt(request, secret);
  }

  async #sms(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const form = new URLSearchParams({
      api_key: this.#config.api_key,
      api_secret: this.#config.api_secret,
      from: withoutPlus(this.#config.from ?? ""),
      to: withoutPlus(message.to),
      text: message.body,
    });
    // Vonage must be told when a text needs UCS-2, or it mangles the characters outside GSM-7.
    if (MessageRenderer.segments(message.body).encoding === "UCS-2") form.set("type", "unicode");
    form.set("client-ref", message.idempotencyKey.slice(0, 100));
    // Receipts are asked for only when they can be verified.
    if (message.callbackUrl && this.#config.signature_secret) form.set("callback", message.callbackUrl);
    const response = await providerFetch(this.name, joinUrl(this.#config.base_url, "/sms/json"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
      signal,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new ProviderError(kindForStatus(response.status), `vonage sms refused (HTTP ${response.status})`, this.name);
    }
    const messages = (response.json as { messages?: unknown } | undefined)?.messages;
    if (!Array.isArray(messages) || messages.length === 0) throw new ProviderError("unavailable", "vonage sms answered without messages", this.name);
    // A long text goes as several parts; if any part is refused the code may be in it, so the send failed.
    const refused = messages.find((part: Record<string, unknown>) => String(part.status) !== "0") as Record<string, unknown> | undefined;
    if (refused) {
      const status = String(refused.status);
      const errorText = typeof refused["error-text"] === "string" ? refused["error-text"] : undefined;
      const detail = redact(`vonage sms status ${status}${errorText ? `: ${errorText}` : ""}`, message.code);
      throw new ProviderError(vonageSmsErrorKind(status, errorText), detail, this.name);
    }
    const messageId = (messages[0] as Record<string, unknown>)["message-id"];
    if (typeof messageId !== "string" || !messageId) throw new ProviderError("unavailable", "vonage sms answered without a message-id", this.name);
    return { providerMessageId: messageId };
  }

  async #call(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const voice = this.#config.voice;
    if (!voice || !this.#voiceToken) throw new ProviderError("unavailable", "vonage voice is not configured", this.name);
    const body: Record<string, unknown> = {
      to: [{ type: "phone", number: withoutPlus(message.to) }],
      from: { type: "phone", number: withoutPlus(voice.from) },
      ncco: codeCallNcco(message.body, message.code, message.locale, { style: voice.style, premium: voice.premium }),
    };
    if (message.callbackUrl && this.#config.signature_secret) {
      body.event_url = [message.callbackUrl];
      body.event_method = "POST";
    }
    const response = await providerFetch(this.name, joinUrl(voice.base_url, "/v1/calls"), {
      method: "POST",
      headers: { authorization: `Bearer ${this.#voiceToken.mint()}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal,
    });
    if (response.status < 200 || response.status >= 300) throw this.#voiceRefusal(response, message.code);
    const uuid = (response.json as { uuid?: unknown } | undefined)?.uuid;
    if (typeof uuid !== "string" || !uuid) throw new ProviderError("unavailable", `vonage voice answered ${response.status} without a uuid`, this.name);
    return { providerMessageId: uuid };
  }

  /** An SMS delivery receipt: GET with a query, or POST as a form or JSON, as the Dashboard setting says. */
  #smsReceipt(request: WebhookRequest, secret: string): WebhookResponse {
    const params = receiptParams(request);
    const sig = params.sig;
    if (!sig || !isVonageSignature(params, sig, secret, this.#config.signature_method)) {
      throw new WebhookError(403, "missing or invalid vonage sig");
    }
    this.#checkFreshness(Number(params.timestamp) * 1000, "receipt timestamp");
    const { messageId, status } = params;
    if (!messageId || !status) throw new WebhookError(400, "a delivery receipt needs messageId and status");
    const state = RECEIPT_STATES[status];
    if (!state) return { reports: [] };
    const errorCode = params["err-code"];
    return {
      reports: [
        this.#report(request, {
          state,
          providerMessageId: messageId,
          providerStatus: status,
          error: state === "undelivered" ? `${status}${errorCode ? `: err-code ${errorCode}` : ""}` : undefined,
        }),
      ],
    };
  }

  /** A Voice API event, signed with a JWT whose payload_hash covers the body. */
  #callEvent(request: WebhookRequest, token: string, secret: string): WebhookResponse {
    if (request.method !== "POST") throw new WebhookError(405, "vonage call events are POST");
    if (mediaType(request.headers["content-type"]) !== "application/json") throw new WebhookError(415, "vonage call events are application/json");
    const claims = verifyVonageWebhookJwt(token, secret, request.body);
    if (!claims) throw new WebhookError(403, "invalid vonage webhook token");
    this.#checkFreshness(typeof claims.iat === "number" ? claims.iat * 1000 : Number.NaN, "token iat");
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(request.body.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new WebhookError(400, "call event body is not JSON");
    }
    const { uuid, status } = event ?? {};
    if (typeof uuid !== "string" || !uuid || typeof status !== "string" || !status) {
      throw new WebhookError(400, "a call event needs uuid and status");
    }
    const state = callState(status, event.duration);
    // Events such as "human" or "machine" say nothing about whether the code was heard.
    if (!state) return { reports: [] };
    return {
      reports: [this.#report(request, { state, providerMessageId: uuid, providerStatus: status, error: state === "undelivered" ? status : undefined })],
    };
  }

  #checkFreshness(signedAtMs: number, what: string): void {
    if (!Number.isFinite(signedAtMs)) throw new WebhookError(403, `missing ${what}`);
    if (Math.abs(this.#context.now() - signedAtMs) > this.#config.replay_window) {
      throw new WebhookError(403, `${what} outside the replay window`);
    }
  }

  #report(request: WebhookRequest, fields: Pick<WebhookReport, "state" | "providerMessageId" | "providerStatus" | "error">): WebhookReport {
    const report: WebhookReport = { provider: this.name, ...fields, at: this.#context.now() };
    if (report.error === undefined) delete report.error;
    const reference = referenceFromSubpath(request.subpath);
    if (reference) report.reference = reference;
    return report;
  }

  #voiceRefusal(response: ProviderResponse, code: string | undefined): ProviderError {
    const problem = response.json as VonageProblem | undefined;
    const kind = vonageVoiceErrorKind(response.status, problem);
    const detail = [problem?.title, problem?.detail].filter(Boolean).join(": ") || response.text.slice(0, 200);
    return new ProviderError(kind, redact(`vonage voice refused (HTTP ${response.status}, ${detail})`, code), this.name);
  }
}

/** A completed call was answered, unless Vonage says it lasted no time at all. */
function callState(status: string, duration: unknown): DeliveryState | undefined {
  if (status === "completed" && duration !== undefined && Number(duration) === 0) return "undelivered";
  return CALL_STATES[status];
}

function receiptParams(request: WebhookRequest): Record<string, string> {
  if (request.method === "GET") return Object.fromEntries(new URL(request.url).searchParams);
  if (request.method !== "POST") throw new WebhookError(405, "vonage receipts are GET or POST");
  const type = mediaType(request.headers["content-type"]);
  if (type === "application/x-www-form-urlencoded") return Object.fromEntries(new URLSearchParams(request.body.toString("utf8")));
  if (type !== "application/json") throw new WebhookError(415, "vonage receipts are a query, a form or JSON");
  let json: unknown;
  try {
    json = JSON.parse(request.body.toString("utf8"));
  } catch {
    throw new WebhookError(400, "receipt body is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new WebhookError(400, "receipt body is not a JSON object");
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(json)) {
    if (typeof value === "object" && value !== null) throw new WebhookError(400, `receipt field ${name} is not a scalar`);
    if (value !== null) params[name] = String(value);
  }
  return params;
}

/** Vonage takes international numbers without the leading "+". */
function withoutPlus(number: string): string {
  return number.replace(/^\+/, "");
}

/** Provider texts never carry the code back into our logs or events, whatever they echo. */
function redact(text: string, code: string | undefined): string {
  return code ? text.replaceAll(code, "[code]") : text;
}
