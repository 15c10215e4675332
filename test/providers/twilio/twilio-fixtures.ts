/**
 * Shared fixtures for the Twilio adapter tests: a config pointed at a
 * stand-in server, an outbound message, and signed status callbacks.
 */
import type { OutboundMessage, ProviderContext } from "../../../src/providers/adapter.js";
import { type TwilioProviderConfig, twilioConfigSchema } from "../../../src/providers/twilio/config.js";
import { twilioSignature } from "../../../src/providers/twilio/signature.js";
import { TwilioProvider } from "../../../src/providers/twilio/twilio.js";
import { outboundMessage, testContext } from "../support/adapter-harness.js";

export const ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
export const AUTH_TOKEN = "twilio-test-auth-token";
export const NOW = 1_760_000_000_000;
export const PUBLIC_URL = "https://verifyd.example.com";
export const CALLBACK_URL = `${PUBLIC_URL}/webhooks/twilio-main/ver_abc123/1`;

export function twilioConfig(overrides: Record<string, unknown> = {}): TwilioProviderConfig {
  return twilioConfigSchema.parse({
    name: "twilio-main",
    type: "twilio",
    channels: ["sms", "whatsapp", "voice"],
    base_url: "http://127.0.0.1:1",
    account_sid: ACCOUNT_SID,
    auth_token: AUTH_TOKEN,
    from: "+15005550006",
    whatsapp: { from: "+14155238886" },
    ...overrides,
  });
}

export const context: ProviderContext = testContext(NOW);

export function twilio(overrides: Record<string, unknown> = {}): TwilioProvider {
  return new TwilioProvider(twilioConfig(overrides), context);
}

export function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return outboundMessage(
    { to: "+14155550123", code: "482913", body: "Acme: your verification code is 482913. It expires in 10 minutes.", callbackUrl: CALLBACK_URL },
    overrides,
  );
}

/** A status callback as Twilio posts it: form body and X-Twilio-Signature over URL and params. */
export function statusCallback(fields: Record<string, string>, options: { url?: string; token?: string; signature?: string } = {}) {
  const url = options.url ?? CALLBACK_URL;
  const params = new URLSearchParams(fields);
  const signature = options.signature ?? twilioSignature(options.token ?? AUTH_TOKEN, url, params);
  return {
    method: "POST",
    url,
    subpath: new URL(url).pathname.replace(/^\/webhooks\/[^/]+/, ""),
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", "x-twilio-signature": signature },
    body: Buffer.from(params.toString()),
  };
}

/** The fields Twilio sends with a Message status callback. */
export function messageStatusFields(status: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: ACCOUNT_SID,
    ApiVersion: "2010-04-01",
    From: "+15005550006",
    MessageSid: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    MessageStatus: status,
    SmsSid: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    SmsStatus: status,
    To: "+14155550123",
    ...extra,
  };
}
