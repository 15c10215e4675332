import type { Channel } from "../../verification/model.js";
import {
  type AttemptReference,
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
import { basicAuth, joinUrl, type ProviderResponse, providerFetch } from "../http.js";
import { isForm } from "../webhook-body.js";
import type { PlivoProviderConfig } from "./config.js";
import { plivoErrorKind, plivoErrorText } from "./errors.js";
import { plivoSignatureV2, plivoSignatureV3, signatureHeaderMatches } from "./signature.js";
import { codeCallXml, HANGUP_XML } from "./speak-xml.js";

/** Message states, from the Message API and the message status callback. */
const MESSAGE_STATES: Record<string, DeliveryState> = {
  queued: "intermediate",
  sent: "intermediate",
  delivered: "delivered",
  // WhatsApp reports "read" after "delivered"; either way the message reached the handset.
  read: "delivered",
  undelivered: "undelivered",
  failed: "undelivered",
  rejected: "undelivered",
};

/** Call states at answer and hang-up. An outbound call is "completed" only after it was answered. */
const CALL_STATES: Record<string, DeliveryState> = {
  ringing: "intermediate",
  "in-progress": "intermediate",
  completed: "delivered",
  busy: "undelivered",
  failed: "undelivered",
  timeout: "undelivered",
  "no-answer": "undelivered",
  cancel: "undelivered",
};

/**
 * Plivo's Message API (`POST /v1/Account/{auth_id}/Message/`) and Call API
 * (`POST /v1/Account/{auth_id}/Call/`), JSON with Basic auth.
 *
 * The Call API takes no inline XML: Plivo fetches what to say from the
 * answer URL when the callee picks up. verifyd points that URL at the
 * attempt's callback URL and answers from memory, so the code never appears
 * in a URL; the XML is kept only until the call hangs up or `answer_ttl`
 * passes, and only in the process that placed the call.
 */
export class PlivoProvider implements ProviderAdapter {
  readonly type = "plivo";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #config: PlivoProviderConfig;
  readonly #context: ProviderContext;
  readonly #authorization: string;
  /** The answer XML of calls placed but not yet hung up, by attempt. */
  readonly #answers = new Map<string, { xml: string; expiry: NodeJS.Timeout }>();

  constructor(config: PlivoProviderConfig, context: ProviderContext) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#config = config;
    this.#context = context;
    this.#authorization = basicAuth(config.auth_id, config.auth_token);
  }

  send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    return message.channel === "voice" ? this.#call(message, signal) : this.#sms(message, signal);
  }

  /** The Message API's view of a message; undefined for anything Plivo does not know as a message (calls included). */
  async queryStatus(providerMessageId: string, signal: AbortSignal): Promise<DeliveryReport | undefined> {
    const response = await providerFetch(this.name, this.#accountUrl(`Message/${encodeURIComponent(providerMessageId)}/`), {
      method: "GET",
      headers: { authorization: this.#authorization, accept: "application/json" },
      signal,
    });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status >= 300) throw this.#refusal(response, undefined);
    const record = (response.json ?? {}) as { message_state?: unknown; error_code?: unknown };
    const status = typeof record.message_state === "string" ? record.message_state : undefined;
    const state = status && MESSAGE_STATES[status];
    if (!status || !state) return undefined;
    return { provider: this.name, state, providerMessageId, providerStatus: status, error: failure(state, status, record.error_code), at: this.#context.now() };
  }

  /**
   * A message status callback, or a call's answer or hang-up request. Calls
   * carry `?event=answer|hangup` on the callback URL and must be signed with
   * V3, which covers the URL and every parameter; message callbacks may carry
   * only V2, which Plivo's messaging documentation describes.
   */
  async handleWebhook(request: WebhookRequest): Promise<WebhookResponse> {
    if (request.method !== "POST") throw new WebhookError(405, "plivo callbacks are POST");
    if (!isForm(request.headers["content-type"])) throw new WebhookError(415, "plivo callbacks are application/x-www-form-urlencoded");
    const params = new URLSearchParams(request.body.toString("utf8"));
    const event = new URL(request.url).searchParams.get("event");
    const callEvent = event === "answer" || event === "hangup";
    if (!this.#signed(request, params, { allowV2: !callEvent })) throw new WebhookError(403, "missing or invalid X-Plivo-Signature");
    const reference = referenceFromSubpath(request.subpath);
    if (event === "answer") return this.#answer(params, reference);
    if (event === "hangup") return this.#hangup(params, reference);
    const uuid = params.get("MessageUUID");
    const status = params.get("Status");
    if (!uuid || !status) throw new WebhookError(400, "a message status callback needs MessageUUID and Status");
    const state = MESSAGE_STATES[status];
    if (!state) return { reports: [] };
    return {
      reports: [this.#report(reference, { state, providerMessageId: uuid, providerStatus: status, error: failure(state, status, params.get("ErrorCode")) })],
    };
  }

  close(): void {
    for (const { expiry } of this.#answers.values()) clearTimeout(expiry);
    this.#answers.clear();
  }

  async #sms(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const body: Record<string, string> = { dst: withoutPlus(message.to), text: message.body, type: "sms" };
    if (this.#config.powerpack_uuid) body.powerpack_uuid = this.#config.powerpack_uuid;
    else body.src = withoutPlus(this.#config.from ?? "");
    if (message.callbackUrl) {
      body.url = message.callbackUrl;
      body.method = "POST";
    }
    const response = await this.#post("Message/", body, signal);
    if (response.status < 200 || response.status >= 300) throw this.#refusal(response, message.code);
    const uuids = (response.json as { message_uuid?: unknown } | undefined)?.message_uuid;
    const uuid = Array.isArray(uuids) ? uuids[0] : undefined;
    if (typeof uuid !== "string" || !uuid) throw new ProviderError("unavailable", `plivo answered ${response.status} without a message_uuid`, this.name);
    return { providerMessageId: uuid };
  }

  async #call(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    if (!message.callbackUrl) throw new ProviderError("unavailable", "plivo voice needs a callback URL to serve the call's XML from", this.name);
    const key = answerKey(message.reference);
    // Stored before the call is placed: Plivo may ask for it before its own API answer reaches us.
    this.#remember(key, codeCallXml(message.body, message.code, message.locale, this.#config.voice.voice));
    try {
      const response = await this.#post(
        "Call/",
        {
          from: withoutPlus(this.#config.voice.from ?? this.#config.from ?? ""),
          to: withoutPlus(message.to),
          answer_url: `${message.callbackUrl}?event=answer`,
          answer_method: "POST",
          hangup_url: `${message.callbackUrl}?event=hangup`,
          hangup_method: "POST",
        },
        signal,
      );
      if (response.status < 200 || response.status >= 300) throw this.#refusal(response, message.code);
      const requestUuid = (response.json as { request_uuid?: unknown } | undefined)?.request_uuid;
      if (typeof requestUuid !== "string" || !requestUuid) {
        throw new ProviderError("unavailable", `plivo answered ${response.status} without a request_uuid`, this.name);
      }
      return { providerMessageId: requestUuid };
    } catch (error) {
      this.#forget(key);
      throw error;
    }
  }

  #answer(params: URLSearchParams, reference: AttemptReference | undefined): WebhookResponse {
    const stored = reference && this.#answers.get(answerKey(reference));
    const status = params.get("CallStatus") ?? "in-progress";
    const id = callId(params);
    // The call goes on either way; only a report that names its call may touch the attempt (see #hangup).
    const reports = stored && id ? [this.#report(reference, { state: "intermediate", providerMessageId: id, providerStatus: status })] : [];
    return { reports, status: 200, contentType: "application/xml", body: stored ? stored.xml : HANGUP_XML };
  }

  #hangup(params: URLSearchParams, reference: AttemptReference | undefined): WebhookResponse {
    if (reference) this.#forget(answerKey(reference));
    const status = params.get("CallStatus");
    if (!status) throw new WebhookError(400, "a hang-up callback needs CallStatus");
    const id = callId(params);
    // The path's reference is not what the signature vouches for; the call's id is what binds the
    // receipt to the attempt it names. A report without one would change whatever attempt its URL named.
    if (!id) throw new WebhookError(400, "a hang-up callback needs ALegRequestUUID, RequestUUID or CallUUID");
    const state = CALL_STATES[status];
    if (!state) return { reports: [] };
    const cause = params.get("HangupCause");
    const error = state === "undelivered" ? `${status}${cause ? `: ${cause}` : ""}` : undefined;
    return { reports: [this.#report(reference, { state, providerMessageId: id, providerStatus: status, error })] };
  }

  #signed(request: WebhookRequest, params: URLSearchParams, options: { allowV2: boolean }): boolean {
    const token = this.#config.auth_token;
    const v3 = request.headers["x-plivo-signature-v3"];
    const v3Nonce = request.headers["x-plivo-signature-v3-nonce"];
    if (v3 && v3Nonce) return signatureHeaderMatches(v3, plivoSignatureV3(request.method, request.url, params, v3Nonce, token));
    const v2 = request.headers["x-plivo-signature-v2"];
    const v2Nonce = request.headers["x-plivo-signature-v2-nonce"];
    if (options.allowV2 && v2 && v2Nonce) return signatureHeaderMatches(v2, plivoSignatureV2(request.url, v2Nonce, token));
    return false;
  }

  /** Every report names its message: a receipt changes an attempt only when that id is the attempt's. */
  #report(reference: AttemptReference | undefined, fields: Pick<WebhookReport, "state" | "providerMessageId" | "providerStatus" | "error">): WebhookReport {
    const report: WebhookReport = { provider: this.name, ...fields, at: this.#context.now() };
    if (report.error === undefined) delete report.error;
    if (reference) report.reference = reference;
    return report;
  }

  #remember(key: string, xml: string): void {
    this.#forget(key);
    const expiry = setTimeout(() => this.#answers.delete(key), this.#config.voice.answer_ttl);
    expiry.unref();
    this.#answers.set(key, { xml, expiry });
  }

  #forget(key: string): void {
    const stored = this.#answers.get(key);
    if (stored) clearTimeout(stored.expiry);
    this.#answers.delete(key);
  }

  #post(resource: string, body: Record<string, string>, signal: AbortSignal): Promise<ProviderResponse> {
    return providerFetch(this.name, this.#accountUrl(resource), {
      method: "POST",
      headers: { authorization: this.#authorization, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal,
    });
  }

  #accountUrl(resource: string): string {
    return joinUrl(this.#config.base_url, `/v1/Account/${encodeURIComponent(this.#config.auth_id)}/${resource}`);
  }

  #refusal(response: ProviderResponse, code: string | undefined): ProviderError {
    const errorText = plivoErrorText(response.json);
    const detail = errorText ?? response.text.slice(0, 200);
    const text = `plivo refused (HTTP ${response.status}${detail ? `, ${detail}` : ""})`;
    return new ProviderError(plivoErrorKind(response.status, errorText), code ? text.replaceAll(code, "[code]") : text, this.name);
  }
}

function answerKey(reference: AttemptReference): string {
  return `${reference.verificationId}/${reference.attemptNumber}`;
}

/** The id send() returned for the call (the request UUID), falling back to the call's own UUID. */
function callId(params: URLSearchParams): string | undefined {
  return params.get("ALegRequestUUID") ?? params.get("RequestUUID") ?? params.get("CallUUID") ?? undefined;
}

/** "undelivered: error 30" for a failed state, undefined otherwise. */
function failure(state: DeliveryState, status: string, errorCode: unknown): string | undefined {
  if (state !== "undelivered") return undefined;
  const code = typeof errorCode === "number" || (typeof errorCode === "string" && errorCode) ? String(errorCode) : undefined;
  return code ? `${status}: error ${code}` : status;
}

/** Plivo's examples give numbers in E.164 without the leading "+". */
function withoutPlus(number: string): string {
  return number.replace(/^\+/, "");
}
