/**
 * Shared fixtures for the Plivo adapter tests: a config pointed at a
 * stand-in server, an outbound message, and callbacks signed the way Plivo
 * signs them.
 */
import { createHmac } from "node:crypto";
import type { OutboundMessage, ProviderContext, WebhookRequest } from "../../../src/providers/adapter.js";
import { type PlivoProviderConfig, plivoConfigSchema } from "../../../src/providers/plivo/config.js";
import { PlivoProvider } from "../../../src/providers/plivo/plivo.js";
import { outboundMessage, testContext } from "../support/adapter-harness.js";

export const AUTH_ID = "MAXXXXXXXXXXXXXXXXXX";
export const AUTH_TOKEN = "plivo-test-auth-token";
export const NOW = 1_760_000_000_000;
export const CALLBACK_URL = "https://verifyd.example.com/webhooks/plivo-main/ver_abc123/1";

export function plivoConfig(overrides: Record<string, unknown> = {}): PlivoProviderConfig {
  return plivoConfigSchema.parse({
    name: "plivo-main",
    type: "plivo",
    channels: ["sms", "voice"],
    base_url: "http://127.0.0.1:1",
    auth_id: AUTH_ID,
    auth_token: AUTH_TOKEN,
    from: "+14151234567",
    ...overrides,
  });
}

export const context: ProviderContext = testContext(NOW);

export function plivo(overrides: Record<string, unknown> = {}): PlivoProvider {
  return new PlivoProvider(plivoConfig(overrides), context);
}

export function outbound(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return outboundMessage(
    { to: "+14157654321", code: "482913", body: "Acme: your verification code is 482913. It expires in 10 minutes.", callbackUrl: CALLBACK_URL },
    overrides,
  );
}

/**
 * The V3 signed string for a POST to a URL without a query, written out by
 * hand from Plivo's description rather than with the adapter's own code: the
 * URL, "?", the POST parameters sorted as name+value, ".", the nonce.
 */
export function handSignedV3(url: string, fields: Record<string, string>, nonce: string, token = AUTH_TOKEN): string {
  const [base, query] = url.split("?");
  const sortedQuery = query
    ? [...new URLSearchParams(query)]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([n, v]) => `${n}=${v}`)
        .join("&")
    : "";
  const sortedFields = Object.keys(fields)
    .sort()
    .map((name) => `${name}${fields[name]}`)
    .join("");
  const signed = `${base}?${sortedQuery}${sortedQuery ? "." : ""}${sortedFields}.${nonce}`;
  return createHmac("sha256", token).update(signed).digest("base64");
}

/** A callback as Plivo posts it: a form body with V3 signature headers. */
export function signedCallback(fields: Record<string, string>, options: { url?: string; token?: string; nonce?: string } = {}): WebhookRequest {
  const url = options.url ?? CALLBACK_URL;
  const nonce = options.nonce ?? "05429567804466091622";
  return {
    method: "POST",
    url,
    subpath: new URL(url).pathname.replace(/^\/webhooks\/[^/]+/, ""),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-plivo-signature-v3": handSignedV3(url, fields, nonce, options.token),
      "x-plivo-signature-v3-nonce": nonce,
    },
    body: Buffer.from(new URLSearchParams(fields).toString()),
  };
}

/** A message status callback signed only with V2, as Plivo's messaging docs describe: URL without query, then nonce. */
export function v2SignedCallback(fields: Record<string, string>, options: { url?: string; token?: string } = {}): WebhookRequest {
  const url = options.url ?? CALLBACK_URL;
  const nonce = "05429567804466091622";
  const signature = createHmac("sha256", options.token ?? AUTH_TOKEN)
    .update(`${url.split("?")[0]}${nonce}`)
    .digest("base64");
  return {
    method: "POST",
    url,
    subpath: new URL(url).pathname.replace(/^\/webhooks\/[^/]+/, ""),
    headers: { "content-type": "application/x-www-form-urlencoded", "x-plivo-signature-v2": signature, "x-plivo-signature-v2-nonce": nonce },
    body: Buffer.from(new URLSearchParams(fields).toString()),
  };
}

export const MESSAGE_UUID = "db3ce55a-7f1d-11e1-8ea7-1231380bc196";
export const REQUEST_UUID = "9834029e-58b6-11e1-b8b7-a5bd0e4e126f";

/** The fields of a message status callback. */
export function messageStatusFields(status: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    From: "14151234567",
    To: "14157654321",
    MessageUUID: MESSAGE_UUID,
    Status: status,
    TotalRate: "0.0050",
    TotalAmount: "0.0050",
    Units: "1",
    MCC: "310",
    MNC: "260",
    ErrorCode: status === "delivered" ? "000" : "",
    ...extra,
  };
}

/** The fields Plivo sends to the answer and hang-up URLs of an outbound API call. */
export function callFields(status: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CallUUID: "2c4a7c5d-1f22-4e6d-9a0f-5c1f0f6a9a11",
    From: "14151234567",
    To: "14157654321",
    CallStatus: status,
    Direction: "outbound",
    ALegUUID: "2c4a7c5d-1f22-4e6d-9a0f-5c1f0f6a9a11",
    ALegRequestUUID: REQUEST_UUID,
    ...extra,
  };
}
