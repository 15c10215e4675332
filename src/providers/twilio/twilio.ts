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
import { basicAuth, joinUrl, type ProviderResponse, providerFetch } from "../http.js";
import { isForm } from "../webhook-body.js";
import type { TwilioProviderConfig } from "./config.js";
import { asTwilioError, twilioErrorKind } from "./errors.js";
import { isTwilioSignature } from "./signature.js";
import { codeCallTwiml } from "./twiml.js";

/** Message statuses (Messages resource and its status callback) and what they mean for delivery. */
const MESSAGE_STATES: Record<string, DeliveryState> = {
  accepted: "intermediate",
  scheduled: "intermediate",
  queued: "intermediate",
  sending: "intermediate",
  sent: "intermediate",
  delivered: "delivered",
  // WhatsApp reports "read" after "delivered"; either way the code reached the handset.
  read: "delivered",
  undelivered: "undelivered",
  failed: "undelivered",
  canceled: "undelivered",
};

/** Call statuses. A call is "completed" only after it was answered, so the code was read out. */
const CALL_STATES: Record<string, DeliveryState> = {
  queued: "intermediate",
  initiated: "intermediate",
  ringing: "intermediate",
  "in-progress": "intermediate",
  completed: "delivered",
  busy: "undelivered",
  "no-answer": "undelivered",
  failed: "undelivered",
  canceled: "undelivered",
};

/**
 * Twilio's Programmable Messaging (SMS, WhatsApp) and Voice. Messages go to
 * `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, calls to
 * `.../Calls.json` with inline TwiML, both form-encoded with Basic auth; each
 * carries `StatusCallback` = the attempt's callback URL, and the status
 * callbacks that come back are checked against X-Twilio-Signature.
 */
export class TwilioProvider implements ProviderAdapter {
  readonly type = "twilio";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #config: TwilioProviderConfig;
  readonly #context: ProviderContext;
  readonly #authorization: string;

  constructor(config: TwilioProviderConfig, context: ProviderContext) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#config = config;
    this.#context = context;
    this.#authorization = basicAuth(config.account_sid, config.auth_token);
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const form = message.channel === "voice" ? this.#callForm(message) : this.#messageForm(message);
    if (message.callbackUrl) form.set("StatusCallback", message.callbackUrl);
    const resource = message.channel === "voice" ? "Calls.json" : "Messages.json";
    const response = await providerFetch(this.name, this.#accountUrl(resource), {
      method: "POST",
      headers: {
        authorization: this.#authorization,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: form.toString(),
      signal,
    });
    if (response.status < 200 || response.status >= 300) throw this.#refusal(response, message.code);
    const sid = (response.json as { sid?: unknown } | undefined)?.sid;
    if (typeof sid !== "string" || !sid) throw new ProviderError("unavailable", `twilio answered ${response.status} without a sid`, this.name);
    return { providerMessageId: sid };
  }

  /** Fetches a Message (SM/MM...) or Call (CA...) by SID; undefined when Twilio does not know it. */
  async queryStatus(providerMessageId: string, signal: AbortSignal): Promise<DeliveryReport | undefined> {
    const isCall = providerMessageId.startsWith("CA");
    const resource = `${isCall ? "Calls" : "Messages"}/${encodeURIComponent(providerMessageId)}.json`;
    const response = await providerFetch(this.name, this.#accountUrl(resource), {
      method: "GET",
      headers: { authorization: this.#authorization, accept: "application/json" },
      signal,
    });
    if (response.status === 404) return undefined;
    if (response.status < 200 || response.status >= 300) throw this.#refusal(response, undefined);
    const resourceJson = (response.json ?? {}) as { status?: unknown; error_code?: unknown };
    const status = typeof resourceJson.status === "string" ? resourceJson.status : undefined;
    const state = status === undefined ? undefined : (isCall ? CALL_STATES : MESSAGE_STATES)[status];
    if (!status || !state) return undefined;
    return {
      provider: this.name,
      state,
      providerMessageId,
      providerStatus: status,
      error: failure(state, status, resourceJson.error_code),
      at: this.#context.now(),
    };
  }

  /**
   * A Message or Call status callback. The signature covers the exact URL
   * Twilio called and every form parameter, so it is checked before any of
   * them is believed.
   */
  async handleWebhook(request: WebhookRequest): Promise<WebhookResponse> {
    if (request.method !== "POST") throw new WebhookError(405, "twilio status callbacks are POST");
    if (!isForm(request.headers["content-type"])) throw new WebhookError(415, "twilio status callbacks are application/x-www-form-urlencoded");
    const params = new URLSearchParams(request.body.toString("utf8"));
    const signature = request.headers["x-twilio-signature"];
    if (!signature || !isTwilioSignature(this.#config.auth_token, request.url, params, signature)) {
      throw new WebhookError(403, "missing or invalid X-Twilio-Signature");
    }
    const messageSid = params.get("MessageSid") ?? params.get("SmsSid");
    const callSid = params.get("CallSid");
    const sid = messageSid ?? callSid;
    const status = messageSid ? (params.get("MessageStatus") ?? params.get("SmsStatus")) : params.get("CallStatus");
    if (!sid || !status) throw new WebhookError(400, "a status callback needs MessageSid and MessageStatus, or CallSid and CallStatus");
    const state = (messageSid ? MESSAGE_STATES : CALL_STATES)[status];
    // A status Twilio adds later (or an inbound "received") is not a delivery fact: acknowledge and move on.
    if (!state) return { reports: [] };
    const report: WebhookReport = {
      provider: this.name,
      state,
      providerMessageId: sid,
      providerStatus: status,
      error: failure(state, status, params.get("ErrorCode")),
      at: this.#context.now(),
    };
    const reference = referenceFromSubpath(request.subpath);
    if (reference) report.reference = reference;
    return { reports: [report] };
  }

  /**
   * Sends from whatever is configured: `From`, `MessagingServiceSid`, or both (then
   * Twilio requires `From` to be in the service's sender pool). Content templates
   * (`ContentSid`) are sent through the Messaging Service when there is one.
   */
  #messageForm(message: OutboundMessage): URLSearchParams {
    const form = new URLSearchParams();
    const whatsapp = message.channel === "whatsapp";
    const from = whatsapp ? this.#config.whatsapp?.from && `whatsapp:${this.#config.whatsapp.from}` : this.#config.from;
    form.set("To", whatsapp ? `whatsapp:${message.to}` : message.to);
    if (from) form.set("From", from);
    if (this.#config.messaging_service_sid) form.set("MessagingServiceSid", this.#config.messaging_service_sid);
    const template = whatsapp ? this.#config.whatsapp : undefined;
    if (template?.content_sid) {
      form.set("ContentSid", template.content_sid);
      form.set("ContentVariables", JSON.stringify({ [template.code_variable]: message.code }));
    } else {
      form.set("Body", message.body);
    }
    return form;
  }

  #callForm(message: OutboundMessage): URLSearchParams {
    const form = new URLSearchParams();
    form.set("To", message.to);
    form.set("From", this.#config.voice.from ?? this.#config.from ?? "");
    form.set("Twiml", codeCallTwiml(message.body, message.code, message.locale, { voice: this.#config.voice.voice }));
    return form;
  }

  #accountUrl(resource: string): string {
    return joinUrl(this.#config.base_url, `/2010-04-01/Accounts/${encodeURIComponent(this.#config.account_sid)}/${resource}`);
  }

  #refusal(response: ProviderResponse, code: string | undefined): ProviderError {
    const error = asTwilioError(response.json);
    const kind = twilioErrorKind(response.status, error);
    const detail = error?.code !== undefined ? `error ${error.code}: ${error.message ?? ""}` : response.text.slice(0, 200);
    return new ProviderError(kind, redact(`twilio refused (HTTP ${response.status}, ${detail.trim()})`, code), this.name);
  }
}

/** "undelivered: error 30003" for a failed state, undefined otherwise. */
function failure(state: DeliveryState, status: string, errorCode: unknown): string | undefined {
  if (state !== "undelivered") return undefined;
  const code = typeof errorCode === "number" || (typeof errorCode === "string" && errorCode) ? String(errorCode) : undefined;
  return code ? `${status}: error ${code}` : status;
}

/** Provider texts never carry the code back into our logs or events, whatever they echo. */
function redact(text: string, code: string | undefined): string {
  return code ? text.replaceAll(code, "[code]") : text;
}
