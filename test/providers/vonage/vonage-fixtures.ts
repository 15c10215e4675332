/**
 * Shared fixtures for the Vonage adapter tests: a config pointed at stand-in
 * servers, an RSA key pair for the voice application, and signed receipts
 * and call events built the way Vonage documents them.
 */
import { createHash, createHmac, generateKeyPairSync } from "node:crypto";
import type { OutboundMessage, ProviderContext, WebhookRequest } from "../../../src/providers/adapter.js";
import { type VonageProviderConfig, vonageConfigSchema } from "../../../src/providers/vonage/config.js";
import { vonageSignature } from "../../../src/providers/vonage/signature.js";
import { VonageProvider } from "../../../src/providers/vonage/vonage.js";
import { outboundMessage, testContext } from "../support/adapter-harness.js";

export const API_KEY = "abcd1234";
export const API_SECRET = "vonage-api-secret";
export const SIGNATURE_SECRET = "vonage-signature-secret-0123456789";
export const APPLICATION_ID = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";
export const NOW = 1_760_000_000_000;
export const CALLBACK_URL = "https://verifyd.example.com/webhooks/vonage-main/ver_abc123/1";

export const voiceKeys = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

export function vonageConfig(overrides: Record<string, unknown> = {}, voiceOverrides: Record<string, unknown> = {}): VonageProviderConfig {
  return vonageConfigSchema.parse({
    name: "vonage-main",
    type: "vonage",
    channels: ["sms", "voice"],
    base_url: "http://127.0.0.1:1",
    api_key: API_KEY,
    api_secret: API_SECRET,
    from: "AcmeInc",
    signature_secret: SIGNATURE_SECRET,
    signature_method: "sha256hmac",
    voice: { base_url: "http://127.0.0.1:1", application_id: APPLICATION_ID, private_key: voiceKeys.privateKey, from: "+447700900001", ...voiceOverrides },
    ...overrides,
  });
}

export const context: ProviderContext = testContext(NOW);

export function vonage(overrides: Record<string, unknown> = {}, voiceOverrides: Record<string, unknown> = {}): VonageProvider {
  return new VonageProvider(vonageConfig(overrides, voiceOverrides), context);
}

export function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return outboundMessage(
    { to: "+447700900000", code: "482913", body: "Acme: your verification code is 482913. It expires in 10 minutes.", callbackUrl: CALLBACK_URL },
    overrides,
  );
}

/** The fields of an SMS API delivery receipt, as Vonage's webhook reference lists them, signed at `timestampSeconds`. */
export function receiptFields(status: string, extra: Record<string, string> = {}, timestampSeconds = NOW / 1000): Record<string, string> {
  const fields: Record<string, string> = {
    msisdn: "447700900000",
    to: "AcmeInc",
    "network-code": "23410",
    messageId: "0A0000001234567B",
    price: "0.03330000",
    status,
    scts: "2510091200",
    "err-code": status === "delivered" ? "0" : "1",
    "api-key": API_KEY,
    "client-ref": "ver_abc123-attempt-1",
    "message-timestamp": "2025-10-09 12:00:00",
    timestamp: String(timestampSeconds),
    nonce: "ec11dd3e-1e7f-4db5-9467-82b02cd223b9",
    ...extra,
  };
  return { ...fields, sig: vonageSignature(fields, SIGNATURE_SECRET, "sha256hmac") };
}

export function formReceipt(fields: Record<string, string>): WebhookRequest {
  return {
    method: "POST",
    url: CALLBACK_URL,
    subpath: "/ver_abc123/1",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: Buffer.from(new URLSearchParams(fields).toString()),
  };
}

/** A Voice API event with the signed-webhook JWT: HS256 with the signature secret, payload_hash over the body. */
export function callEvent(
  event: Record<string, unknown>,
  options: { secret?: string; iatSeconds?: number; body?: string; alg?: string; payloadHash?: string } = {},
): WebhookRequest {
  const body = options.body ?? JSON.stringify(event);
  const header = Buffer.from(JSON.stringify({ alg: options.alg ?? "HS256", typ: "JWT" })).toString("base64url");
  const claims = Buffer.from(
    JSON.stringify({
      iat: options.iatSeconds ?? NOW / 1000,
      jti: "d5b1e9c0-0c4e-4a9a-8f0e-3f5b6c7d8e9f",
      application_id: APPLICATION_ID,
      api_key: API_KEY,
      payload_hash: options.payloadHash ?? createHash("sha256").update(JSON.stringify(event)).digest("hex"),
    }),
  ).toString("base64url");
  const signature = createHmac("sha256", options.secret ?? SIGNATURE_SECRET)
    .update(`${header}.${claims}`)
    .digest("base64url");
  return {
    method: "POST",
    url: CALLBACK_URL,
    subpath: "/ver_abc123/1",
    headers: { "content-type": "application/json", authorization: `Bearer ${header}.${claims}.${signature}` },
    body: Buffer.from(body),
  };
}

export const CALL_UUID = "63f61863-4a51-4f6b-86e1-46edebcf9356";

export function callEventFields(status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    from: "447700900001",
    to: "447700900000",
    uuid: CALL_UUID,
    conversation_uuid: "CON-f972836a-550f-45fa-956c-12a2ab5b7d22",
    status,
    direction: "outbound",
    timestamp: "2025-10-09T12:00:00.000Z",
    ...extra,
  };
}
