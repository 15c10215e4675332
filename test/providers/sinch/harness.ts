/**
 * One Sinch adapter pointed at a stand-in SMS REST API, a clock the test
 * moves, and helpers that build callbacks as Sinch posts them.
 */
import { createHmac } from "node:crypto";
import type { OutboundMessage, WebhookRequest } from "../../../src/providers/adapter.js";
import { sinchConfigSchema } from "../../../src/providers/sinch/config.js";
import { SinchProvider } from "../../../src/providers/sinch/sinch.js";
import { type AdapterHarness, outboundMessage, startAdapterHarness } from "../support/adapter-harness.js";

export { expectProviderError, expectWebhookError, live } from "../support/adapter-harness.js";

export const NOW = 1_700_000_000_000;
export const PROVIDER = "sinch-eu";
export const SERVICE_PLAN_ID = "jd63jf88477ll123ab4567cd89012ef3";
export const API_TOKEN = "sinch-api-token-0123456789";
export const WEBHOOK_SECRET = "s3cr3t-callback-token-0123456789";
export const HMAC_SECRET = "sinch-hmac-secret";
export const FROM = "12345";
export const TO = "+46701234567";
export const BATCH_ID = "01FC66621XXXXX119Z8PMV1QPQ";
export const CALLBACK_URL = `https://verifyd.example.com/webhooks/${PROVIDER}/ver_abc123/1`;
export const BATCHES_PATH = `/xms/v1/${SERVICE_PLAN_ID}/batches`;

export type SinchHarness = AdapterHarness<SinchProvider>;

export async function startSinch(config: Record<string, unknown> = {}): Promise<SinchHarness> {
  return startAdapterHarness(NOW, (baseUrl, context) => {
    const parsed = sinchConfigSchema.parse({
      name: PROVIDER,
      type: "sinch",
      base_url: baseUrl,
      service_plan_id: SERVICE_PLAN_ID,
      api_token: API_TOKEN,
      from: FROM,
      webhook_secret: WEBHOOK_SECRET,
      ...config,
    });
    return new SinchProvider(parsed, context);
  });
}

export function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return outboundMessage({ to: TO, code: "493817", body: "Your verifyd code is 493817", callbackUrl: CALLBACK_URL }, overrides);
}

/** A recipient delivery report as Sinch posts it (type recipient_delivery_report_sms). */
export function recipientReport(status: string, code: number, at = "2023-11-14T22:13:20.148Z") {
  return {
    at,
    batch_id: BATCH_ID,
    client_reference: "ver_abc123-attempt-1",
    code,
    operator_status_at: at,
    recipient: "46701234567",
    status,
    type: "recipient_delivery_report_sms",
  };
}

/**
 * A callback as Sinch would post it to the URL verifyd gave: the token in the
 * query, and, with `hmac`, the signature headers of an HMAC-enabled plan.
 */
export function callback(
  h: SinchHarness,
  payload: unknown,
  options: { token?: string | null; contentType?: string; rawBody?: Buffer; hmac?: { secret: string; timestamp?: string; nonce?: string; algorithm?: string } } = {},
): WebhookRequest {
  const body = options.rawBody ?? Buffer.from(JSON.stringify(payload));
  const token = options.token === undefined ? WEBHOOK_SECRET : options.token;
  const subpath = "/ver_abc123/1";
  const headers: Record<string, string> = { "content-type": options.contentType ?? "application/json" };
  if (options.hmac) {
    const timestamp = options.hmac.timestamp ?? String(Math.floor(h.context.now() / 1000));
    const nonce = options.hmac.nonce ?? "01FJA8B4A7BM43YGWSG9GBV067";
    const algorithm = options.hmac.algorithm ?? "HmacSHA256";
    const digest = algorithm === "HmacSHA512" ? "sha512" : "sha256";
    headers["x-sinch-webhook-signature-timestamp"] = timestamp;
    headers["x-sinch-webhook-signature-nonce"] = nonce;
    headers["x-sinch-webhook-signature-algorithm"] = algorithm;
    headers["x-sinch-webhook-signature"] = createHmac(digest, options.hmac.secret).update(`${body.toString()}.${nonce}.${timestamp}`).digest("base64");
  }
  const query = token === null ? "" : `?token=${encodeURIComponent(token)}`;
  return { method: "POST", url: `https://verifyd.example.com/webhooks/${PROVIDER}${subpath}${query}`, subpath, headers, body };
}
