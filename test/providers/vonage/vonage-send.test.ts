import { createPublicKey, verify } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { useStandInServer } from "../support/adapter-harness.js";
import type { StandInServer } from "../support/stand-in-server.js";
import { API_KEY, API_SECRET, APPLICATION_ID, CALLBACK_URL, NOW, outbound, voiceKeys, vonage } from "./vonage-fixtures.js";

/** The SMS API's answer for one accepted message (developer.vonage.com, "Troubleshooting SMS"). */
const ACCEPTED = {
  "message-count": "1",
  messages: [
    {
      to: "447700900000",
      "message-id": "0C000000217B7F02",
      status: "0",
      "remaining-balance": "15.53590000",
      "message-price": "0.03330000",
      network: "23410",
    },
  ],
};

/** The Voice API's 201 for a created call. */
const CALL_CREATED = {
  uuid: "63f61863-4a51-4f6b-86e1-46edebcf9356",
  status: "started",
  direction: "outbound",
  conversation_uuid: "CON-f972836a-550f-45fa-956c-12a2ab5b7d22",
};

let api: StandInServer;

useStandInServer((started) => (api = started));
beforeEach(() => {
  api.reset();
  api.route("POST", "/sms/json", { body: ACCEPTED });
  api.route("POST", "/v1/calls", { status: 201, body: CALL_CREATED });
});

function form(): URLSearchParams {
  return new URLSearchParams(api.requests[0]!.text);
}

describe("vonage send: SMS", () => {
  it("posts api_key, api_secret, from, to without '+', text, client-ref and the callback as a form to /sms/json", async () => {
    const result = await vonage({ base_url: api.url }).send(outbound(), new AbortController().signal);

    expect(result).toEqual({ providerMessageId: "0C000000217B7F02" });
    const request = api.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/sms/json");
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(form())).toEqual({
      api_key: API_KEY,
      api_secret: API_SECRET,
      from: "AcmeInc",
      to: "447700900000",
      text: "Acme: your verification code is 482913. It expires in 10 minutes.",
      "client-ref": "ver_abc123-attempt-1",
      callback: CALLBACK_URL,
    });
  });

  it("sends type=unicode when the text has characters outside GSM-7", async () => {
    await vonage({ base_url: api.url }).send(outbound({ body: "Acme: tu código de verificación es 482913. Caduca en 10 minutos." }), new AbortController().signal);

    expect(form().get("type")).toBe("unicode");
  });

  it("keeps GSM-7 accented text as plain text", async () => {
    await vonage({ base_url: api.url }).send(
      outbound({ body: "Acme: Ihr Bestätigungscode lautet 482913. Er ist 10 Minuten gültig." }),
      new AbortController().signal,
    );

    expect(form().has("type")).toBe(false);
  });

  it("asks for no receipt when no signature secret is configured, since an unsigned one could not be trusted", async () => {
    await vonage({ base_url: api.url, signature_secret: undefined }).send(outbound(), new AbortController().signal);

    expect(form().has("callback")).toBe(false);
  });
});

describe("vonage send: voice", () => {
  it("creates a call with an RS256 application JWT, phone endpoints without '+', a talk NCCO and the event URL", async () => {
    const result = await vonage({}, { base_url: api.url }).send(
      outbound({ channel: "voice", body: "Your Acme verification code is: 4, 8, 2, 9, 1, 3. Again: 4, 8, 2, 9, 1, 3." }),
      new AbortController().signal,
    );

    expect(result).toEqual({ providerMessageId: "63f61863-4a51-4f6b-86e1-46edebcf9356" });
    const request = api.requests[0]!;
    expect(request.path).toBe("/v1/calls");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.json).toEqual({
      to: [{ type: "phone", number: "447700900000" }],
      from: { type: "phone", number: "447700900001" },
      ncco: [
        { action: "talk", text: "Your Acme verification code is:", language: "en-US" },
        { action: "talk", text: "4, 8, 2, 9, 1, 3.", language: "en-US" },
        { action: "talk", text: "Again:", language: "en-US" },
        { action: "talk", text: "4, 8, 2, 9, 1, 3.", language: "en-US" },
      ],
      event_url: [CALLBACK_URL],
      event_method: "POST",
    });
  });

  it("signs the JWT with the application's private key and carries application_id, iat, exp and jti", async () => {
    await vonage({}, { base_url: api.url }).send(outbound({ channel: "voice" }), new AbortController().signal);

    const token = api.requests[0]!.headers.authorization!.replace(/^Bearer /, "");
    const [header, claims, signature] = token.split(".");
    const publicKey = createPublicKey(voiceKeys.publicKey);
    expect(verify("RSA-SHA256", Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature!, "base64url"))).toBe(true);
    expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toEqual({ alg: "RS256", typ: "JWT" });
    const decoded = JSON.parse(Buffer.from(claims!, "base64url").toString());
    expect(decoded).toMatchObject({ application_id: APPLICATION_ID, iat: NOW / 1000, exp: NOW / 1000 + 300 });
    expect(decoded.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("speaks the locale's language with the configured voice style", async () => {
    await vonage({}, { base_url: api.url, style: 2 }).send(
      outbound({ channel: "voice", locale: "de-AT", body: "Ihr Acme Bestätigungscode lautet: 4, 8, 2, 9, 1, 3. Noch einmal: 4, 8, 2, 9, 1, 3." }),
      new AbortController().signal,
    );

    expect((api.requests[0]!.json as { ncco: unknown[] }).ncco[0]).toEqual({
      action: "talk",
      text: "Ihr Acme Bestätigungscode lautet:",
      language: "de-DE",
      style: 2,
    });
  });

  it("accepts a private key given on one line with \\n escapes, as environment variables carry it", async () => {
    const oneLine = voiceKeys.privateKey.trim().replaceAll("\n", "\\n");

    await vonage({}, { base_url: api.url, private_key: oneLine }).send(outbound({ channel: "voice" }), new AbortController().signal);

    const [header, claims, signature] = api.requests[0]!.headers.authorization!.replace(/^Bearer /, "").split(".");
    expect(verify("RSA-SHA256", Buffer.from(`${header}.${claims}`), createPublicKey(voiceKeys.publicKey), Buffer.from(signature!, "base64url"))).toBe(true);
  });
});
