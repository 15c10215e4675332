/**
 * One Telnyx adapter pointed at a stand-in Messaging API, with a fresh
 * Ed25519 key pair standing in for the account's webhook key, a clock the
 * test moves, and helpers that sign webhooks the way Telnyx does.
 */
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { OutboundMessage, WebhookRequest } from "../../../src/providers/adapter.js";
import { telnyxConfigSchema } from "../../../src/providers/telnyx/config.js";
import { TelnyxProvider } from "../../../src/providers/telnyx/telnyx.js";
import { type AdapterHarness, outboundMessage, startAdapterHarness } from "../support/adapter-harness.js";

export { expectProviderError, expectWebhookError, live } from "../support/adapter-harness.js";

export const NOW = 1_700_000_000_000;
export const API_KEY = "KEY0123456789ABCDEF_test";
export const PROVIDER = "telnyx-main";
export const FROM = "+18445550001";
export const TO = "+14155550123";
export const MESSAGE_ID = "40385f64-5717-4562-b3fc-2c963f66afa6";
export const CALLBACK_URL = `https://verifyd.example.com/webhooks/${PROVIDER}/ver_abc123/1`;

export interface TelnyxHarness extends AdapterHarness<TelnyxProvider> {
  privateKey: KeyObject;
  publicKeyBase64: string;
}

export function generateTelnyxKeys(): { privateKey: KeyObject; publicKeyBase64: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  // Mission Control shows the raw 32-byte key in base64; the JWK's x is exactly those bytes.
  const x = publicKey.export({ format: "jwk" }).x!;
  return { privateKey, publicKeyBase64: Buffer.from(x, "base64url").toString("base64") };
}

export async function startTelnyx(config: Record<string, unknown> = {}): Promise<TelnyxHarness> {
  const { privateKey, publicKeyBase64 } = generateTelnyxKeys();
  const harness = await startAdapterHarness(NOW, (baseUrl, context) => {
    const parsed = telnyxConfigSchema.parse({
      name: PROVIDER,
      type: "telnyx",
      base_url: baseUrl,
      api_key: API_KEY,
      from: FROM,
      public_key: publicKeyBase64,
      ...config,
    });
    return new TelnyxProvider(parsed, context);
  });
  return { ...harness, privateKey, publicKeyBase64 };
}

export function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return outboundMessage({ to: TO, code: "493817", body: "Your verifyd code is 493817", callbackUrl: CALLBACK_URL }, overrides);
}

/** A Telnyx delivery-status event as the Messaging API posts it. */
export function statusEvent(eventType: string, status: string, extra: { errors?: unknown[]; occurredAt?: string; id?: string } = {}) {
  return {
    data: {
      event_type: eventType,
      id: "4ee8c3a6-4995-4309-a3c6-38e3db9ea4be",
      occurred_at: extra.occurredAt ?? "2023-11-14T22:13:20.000+00:00",
      payload: {
        completed_at: null,
        cost: null,
        direction: "outbound",
        encoding: "GSM-7",
        errors: extra.errors ?? [],
        from: { carrier: "Telnyx", line_type: "VoIP", phone_number: FROM },
        id: extra.id ?? MESSAGE_ID,
        media: [],
        messaging_profile_id: "4000eba1-a0c0-4563-9925-b25e842a7cb6",
        parts: 1,
        record_type: "message",
        text: "Your verifyd code is 493817",
        to: [{ carrier: "T-MOBILE USA, INC.", line_type: "Wireless", phone_number: TO, status }],
        type: "SMS",
        webhook_url: CALLBACK_URL,
      },
      record_type: "event",
    },
    meta: { attempt: 1, delivered_to: CALLBACK_URL },
  };
}

/** Signs `body` the way Telnyx does: Ed25519 over `${timestamp}|${raw body}`, base64. */
export function telnyxSignature(privateKey: KeyObject, timestamp: string, body: Buffer): string {
  return sign(null, Buffer.concat([Buffer.from(`${timestamp}|`), body]), privateKey).toString("base64");
}

export function signedWebhook(
  h: TelnyxHarness,
  event: unknown,
  options: { timestamp?: string; signature?: string; contentType?: string; subpath?: string; rawBody?: Buffer } = {},
): WebhookRequest {
  const body = options.rawBody ?? Buffer.from(JSON.stringify(event));
  const timestamp = options.timestamp ?? String(Math.floor(h.context.now() / 1000));
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/json",
    "telnyx-timestamp": timestamp,
    "telnyx-signature-ed25519": options.signature ?? telnyxSignature(h.privateKey, timestamp, body),
    "user-agent": "telnyx-webhooks",
  };
  const subpath = options.subpath ?? "/ver_abc123/1";
  return { method: "POST", url: `https://verifyd.example.com/webhooks/${PROVIDER}${subpath}`, subpath, headers, body };
}
