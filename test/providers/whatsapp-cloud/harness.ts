/**
 * One WhatsApp Cloud adapter pointed at a stand-in Graph API, a clock the
 * test moves, and helpers that build webhooks as Meta posts them, signed with
 * the app secret.
 */
import { createHmac } from "node:crypto";
import type { OutboundMessage, WebhookRequest } from "../../../src/providers/adapter.js";
import { whatsappCloudConfigSchema } from "../../../src/providers/whatsapp-cloud/config.js";
import { WhatsAppCloudProvider } from "../../../src/providers/whatsapp-cloud/whatsapp-cloud.js";
import { type AdapterHarness, outboundMessage, startAdapterHarness } from "../support/adapter-harness.js";

export { expectProviderError, expectWebhookError, live } from "../support/adapter-harness.js";

export const NOW = 1_700_000_000_000;
export const PROVIDER = "whatsapp";
export const PHONE_NUMBER_ID = "106540352242922";
export const ACCESS_TOKEN = "EAAJB-test-access-token";
export const APP_SECRET = "0123456789abcdef0123456789abcdef";
export const VERIFY_TOKEN = "verifyd-meta-verify-token";
export const TEMPLATE = "verifyd_otp";
export const TO = "+16505551234";
export const WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDNjVGMDRBNjZBQzA1N0QwNUIA";
export const MESSAGES_PATH = `/v23.0/${PHONE_NUMBER_ID}/messages`;

export type WhatsAppHarness = AdapterHarness<WhatsAppCloudProvider>;

export async function startWhatsApp(config: Record<string, unknown> = {}): Promise<WhatsAppHarness> {
  return startAdapterHarness(NOW, (baseUrl, context) => {
    const parsed = whatsappCloudConfigSchema.parse({
      name: PROVIDER,
      type: "whatsapp-cloud",
      base_url: baseUrl,
      phone_number_id: PHONE_NUMBER_ID,
      access_token: ACCESS_TOKEN,
      app_secret: APP_SECRET,
      verify_token: VERIFY_TOKEN,
      template: { name: TEMPLATE, languages: { de: "de", "pt-BR": "pt_BR" } },
      ...config,
    });
    return new WhatsAppCloudProvider(parsed, context);
  });
}

export function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return outboundMessage({ to: TO, channel: "whatsapp", code: "493817", body: "Your verifyd code is 493817", callbackUrl: "" }, overrides);
}

/** A status object as Meta puts it in `entry[].changes[].value.statuses[]`. */
export function statusUpdate(status: string, overrides: Record<string, unknown> = {}) {
  return {
    id: WAMID,
    status,
    timestamp: "1700000001",
    recipient_id: "16505551234",
    biz_opaque_callback_data: "ver_abc123/1",
    ...(status === "failed" ? {} : { conversation: { id: "CONVERSATION_ID", origin: { type: "authentication" } } }),
    pricing: { billable: true, pricing_model: "PMP", category: "authentication", type: "regular" },
    ...overrides,
  };
}

/** A messages-field notification carrying `statuses` for the given business number. */
export function notification(statuses: unknown[], phoneNumberId = PHONE_NUMBER_ID) {
  return {
    object: "whatsapp_business_account",
    entry: [
      {
        id: "102290129340398",
        changes: [
          {
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
              statuses,
            },
            field: "messages",
          },
        ],
      },
    ],
  };
}

export function metaSignature(body: Buffer, secret = APP_SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export function webhook(payload: unknown, options: { signature?: string | null; contentType?: string; rawBody?: Buffer } = {}): WebhookRequest {
  const body = options.rawBody ?? Buffer.from(JSON.stringify(payload));
  const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json", "user-agent": "facebookexternalua" };
  const signature = options.signature === undefined ? metaSignature(body) : options.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  return { method: "POST", url: `https://verifyd.example.com/webhooks/${PROVIDER}`, subpath: "", headers, body };
}

export function handshake(query: Record<string, string>): WebhookRequest {
  const search = new URLSearchParams(query).toString();
  return { method: "GET", url: `https://verifyd.example.com/webhooks/${PROVIDER}?${search}`, subpath: "", headers: {}, body: Buffer.alloc(0) };
}
