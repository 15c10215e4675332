import { describe, expect, it } from "vitest";
import { WebhookError, type WebhookRequest } from "../../../src/providers/adapter.js";
import { isTwilioSignature, twilioSignature } from "../../../src/providers/twilio/signature.js";
import { CALLBACK_URL, messageStatusFields, NOW, statusCallback, twilio } from "./twilio-fixtures.js";

/**
 * Twilio's published validation example: auth token 12345, this URL and these
 * POST parameters. Twilio's helper libraries (twilio-php, twilio-python,
 * twilio-csharp) publish RSOYDt4T1cUTdK1PDd93/VVr8B8= for them; the security
 * page's variant with Caller/From +14158675310 gives GvWf1cFY/Q7PnoempGyD5oXAezc=.
 */
const VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
const VECTOR_TOKEN = "12345";
const VECTOR_PARAMS = {
  CallSid: "CA1234567890ABCDE",
  Caller: "+14158675309",
  Digits: "1234",
  From: "+14158675309",
  To: "+18005551212",
};

async function refused(request: WebhookRequest): Promise<WebhookError> {
  const error = await twilio()
    .handleWebhook(request)
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe("twilio signature: the documented test vectors", () => {
  it("computes the helper libraries' signature for Twilio's example request", () => {
    expect(twilioSignature(VECTOR_TOKEN, VECTOR_URL, new URLSearchParams(VECTOR_PARAMS))).toBe("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  });

  it("computes the security page's signature for its variant of the example", () => {
    const params = new URLSearchParams({ ...VECTOR_PARAMS, Caller: "+14158675310", From: "+14158675310" });

    expect(twilioSignature(VECTOR_TOKEN, VECTOR_URL, params)).toBe("GvWf1cFY/Q7PnoempGyD5oXAezc=");
  });

  it("does not depend on the order the parameters arrived in", () => {
    const reversed = new URLSearchParams(Object.entries(VECTOR_PARAMS).reverse());

    expect(isTwilioSignature(VECTOR_TOKEN, VECTOR_URL, reversed, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")).toBe(true);
  });

  it("rejects the example's signature once a parameter, the URL or the token changes", () => {
    const signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    expect(isTwilioSignature(VECTOR_TOKEN, VECTOR_URL, new URLSearchParams({ ...VECTOR_PARAMS, Digits: "9999" }), signature)).toBe(false);
    expect(isTwilioSignature(VECTOR_TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=3", new URLSearchParams(VECTOR_PARAMS), signature)).toBe(false);
    expect(isTwilioSignature("54321", VECTOR_URL, new URLSearchParams(VECTOR_PARAMS), signature)).toBe(false);
  });

  it("accepts a signature made over the URL with the scheme's default port spelled out", () => {
    const params = new URLSearchParams(VECTOR_PARAMS);
    const signature = twilioSignature(VECTOR_TOKEN, "https://mycompany.com:443/myapp.php?foo=1&bar=2", params);

    expect(isTwilioSignature(VECTOR_TOKEN, VECTOR_URL, params, signature)).toBe(true);
  });

  it("lets the documented example through handleWebhook's signature check, then refuses it for carrying no status (400)", async () => {
    const request = {
      method: "POST",
      url: VECTOR_URL,
      subpath: "/myapp.php",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8=" },
      body: Buffer.from(new URLSearchParams(VECTOR_PARAMS).toString()),
    };

    const error = await twilio({ auth_token: VECTOR_TOKEN })
      .handleWebhook(request)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).status).toBe(400);
  });
});

describe("twilio webhook: receipts", () => {
  it("turns a signed 'delivered' Message status callback into a delivered report for the attempt in the URL", async () => {
    const result = await twilio().handleWebhook(statusCallback(messageStatusFields("delivered")));

    expect(result.reports).toEqual([
      {
        provider: "twilio-main",
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        providerStatus: "delivered",
        at: NOW,
      },
    ]);
    expect(result.status ?? 200).toBe(200);
  });

  it.each([
    ["undelivered", "30003"],
    ["failed", "30008"],
  ])("reports '%s' with ErrorCode %s as undelivered and keeps the error code", async (status, errorCode) => {
    const result = await twilio().handleWebhook(statusCallback(messageStatusFields(status, { ErrorCode: errorCode })));

    expect(result.reports[0]).toMatchObject({ state: "undelivered", providerStatus: status, error: `${status}: error ${errorCode}` });
  });

  it.each(["queued", "sending", "sent", "accepted"])("reports '%s' as intermediate", async (status) => {
    const result = await twilio().handleWebhook(statusCallback(messageStatusFields(status)));

    expect(result.reports[0]).toMatchObject({ state: "intermediate", providerStatus: status });
  });

  it("reports a WhatsApp 'read' as delivered", async () => {
    const result = await twilio().handleWebhook(statusCallback(messageStatusFields("read")));

    expect(result.reports[0]).toMatchObject({ state: "delivered", providerStatus: "read" });
  });

  it("maps out-of-order callbacks each on its own, so a late 'sent' after 'delivered' is only intermediate", async () => {
    const adapter = twilio();

    const delivered = await adapter.handleWebhook(statusCallback(messageStatusFields("delivered")));
    const lateSent = await adapter.handleWebhook(statusCallback(messageStatusFields("sent")));

    expect(delivered.reports[0]).toMatchObject({ state: "delivered", providerStatus: "delivered" });
    expect(lateSent.reports[0]).toMatchObject({ state: "intermediate", providerStatus: "sent" });
  });

  it("returns the same report again for a duplicate callback, leaving deduplication to the domain", async () => {
    const adapter = twilio();
    const request = statusCallback(messageStatusFields("delivered"));

    const first = await adapter.handleWebhook(request);
    const second = await adapter.handleWebhook(request);

    expect(second.reports).toEqual(first.reports);
    expect(second.reports[0]).toMatchObject({ state: "delivered", providerMessageId: "SM1f0e8ae6ade43cb3c0ce4525424e404f" });
  });

  it.each([
    ["completed", "delivered"],
    ["busy", "undelivered"],
    ["no-answer", "undelivered"],
    ["failed", "undelivered"],
    ["canceled", "undelivered"],
    ["ringing", "intermediate"],
  ])("maps a call status callback '%s' to %s", async (status, state) => {
    const result = await twilio().handleWebhook(
      statusCallback({ AccountSid: "AC0123456789abcdef0123456789abcdef", CallSid: "CA5ef8732a3c49700934481addd5ce1659", CallStatus: status }),
    );

    expect(result.reports[0]).toMatchObject({ state, providerStatus: status, providerMessageId: "CA5ef8732a3c49700934481addd5ce1659" });
  });

  it("acknowledges a status that is not about an outbound delivery ('receiving') without reporting anything", async () => {
    const result = await twilio().handleWebhook(statusCallback(messageStatusFields("receiving")));

    expect(result.reports).toEqual([]);
  });

  it("reports without a reference when the callback path is not one verifyd made", async () => {
    const url = "https://verifyd.example.com/webhooks/twilio-main/legacy";

    const result = await twilio().handleWebhook(statusCallback(messageStatusFields("delivered"), { url }));

    expect(result.reports[0]!.reference).toBeUndefined();
    expect(result.reports[0]).toMatchObject({ state: "delivered", providerMessageId: "SM1f0e8ae6ade43cb3c0ce4525424e404f" });
  });
});

describe("twilio webhook: refusals", () => {
  it("refuses a forged signature with 403", async () => {
    const error = await refused(statusCallback(messageStatusFields("delivered"), { token: "not-the-auth-token" }));

    expect(error.status).toBe(403);
  });

  it("refuses a request without X-Twilio-Signature with 403", async () => {
    const request = statusCallback(messageStatusFields("delivered"));
    const { "x-twilio-signature": _removed, ...headers } = request.headers;

    const error = await refused({ ...request, headers });

    expect(error.status).toBe(403);
  });

  it("refuses a genuine signature replayed over altered parameters with 403", async () => {
    const genuine = statusCallback(messageStatusFields("undelivered", { ErrorCode: "30003" }));
    const altered = new URLSearchParams(messageStatusFields("delivered")).toString();

    const error = await refused({ ...genuine, body: Buffer.from(altered) });

    expect(error.status).toBe(403);
  });

  it("refuses a genuine signature replayed to another attempt's URL with 403", async () => {
    const genuine = statusCallback(messageStatusFields("delivered"));

    const error = await refused({ ...genuine, url: CALLBACK_URL.replace("/1", "/2"), subpath: "/ver_abc123/2" });

    expect(error.status).toBe(403);
  });

  it("refuses a signed body without MessageSid or MessageStatus with 400", async () => {
    const error = await refused(statusCallback({ AccountSid: "AC0123456789abcdef0123456789abcdef", MessageStatus: "delivered" }));

    expect(error.status).toBe(400);
  });

  it("refuses a JSON body with 415", async () => {
    const request = statusCallback(messageStatusFields("delivered"));

    const error = await refused({ ...request, headers: { ...request.headers, "content-type": "application/json" } });

    expect(error.status).toBe(415);
  });

  it("refuses a GET with 405", async () => {
    const error = await refused({ ...statusCallback(messageStatusFields("delivered")), method: "GET" });

    expect(error.status).toBe(405);
  });
});
