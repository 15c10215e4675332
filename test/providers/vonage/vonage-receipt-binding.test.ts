/**
 * Issue 10, for Vonage. An SMS delivery receipt's `sig` covers its
 * parameters, and a call event's JWT covers its body through payload_hash;
 * neither covers the URL it was posted to. A genuine receipt for message A
 * moved, byte for byte, to verification B's callback URL still verifies, so
 * only the message id (or call uuid) in it tells it is not B's.
 */
import { createHash, createHmac } from "node:crypto";
import { describe, test, vi } from "vitest";
import { vonageSignature } from "../../../src/providers/vonage/signature.js";
import { expectBoundToItsMessage, OUTCOMES, type Outcome, type Sent, useReceiptBinding } from "../support/receipt-binding.js";
import { API_KEY, API_SECRET, APPLICATION_ID, SIGNATURE_SECRET, voiceKeys } from "./vonage-fixtures.js";

vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));

const PROVIDER = "vonage";
let accepted = 0;

const binding = useReceiptBinding({
  provider: PROVIDER,
  channels: ["sms", "voice"],
  config: (baseUrl) => ({
    name: PROVIDER,
    type: "vonage",
    channels: ["sms", "voice"],
    base_url: baseUrl,
    api_key: API_KEY,
    api_secret: API_SECRET,
    from: "AcmeInc",
    signature_secret: SIGNATURE_SECRET,
    signature_method: "sha256hmac",
    voice: { base_url: baseUrl, application_id: APPLICATION_ID, private_key: voiceKeys.privateKey, from: "+447700900001" },
  }),
  acceptSends: (api) => {
    api.route("POST", "/sms/json", (request) => ({
      body: {
        "message-count": "1",
        messages: [{ to: new URLSearchParams(request.text).get("to"), "message-id": `0C0000002${String(++accepted).padStart(7, "0")}`, status: "0" }],
      },
    }));
    api.route("POST", "/v1/calls", () => ({
      status: 201,
      body: { uuid: `63f61863-4a51-4f6b-86e1-${String(++accepted).padStart(12, "0")}`, status: "started", direction: "outbound" },
    }));
  },
  callbackUrl: (send) => new URLSearchParams(send.text).get("callback") ?? (send.json as { event_url: string[] }).event_url[0]!,
});

/** An SMS delivery receipt for `message`, signed now, posted as a form to `url`. */
function postReceipt(outcome: Outcome) {
  return (message: Sent, url: string): Promise<Response> => {
    const fields: Record<string, string> = {
      msisdn: "12025550100",
      to: "AcmeInc",
      messageId: message.providerMessageId,
      status: outcome === "delivered" ? "delivered" : "failed",
      "err-code": outcome === "delivered" ? "0" : "6",
      "api-key": API_KEY,
      "message-timestamp": new Date(binding.clock.now()).toISOString().slice(0, 19).replace("T", " "),
      timestamp: String(Math.floor(binding.clock.now() / 1000)),
      nonce: "ec11dd3e-1e7f-4db5-9467-82b02cd223b9",
    };
    const signed = { ...fields, sig: vonageSignature(fields, SIGNATURE_SECRET, "sha256hmac") };
    return fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(signed) });
  };
}

/** A Voice API event for `message`'s call, with the signed-webhook JWT Vonage sends, posted to `url`. */
function postCallEvent(outcome: Outcome) {
  return (message: Sent, url: string): Promise<Response> => {
    const event = { uuid: message.providerMessageId, status: outcome === "delivered" ? "completed" : "unanswered", duration: "9", direction: "outbound" };
    const body = JSON.stringify(event);
    const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const header = segment({ alg: "HS256", typ: "JWT" });
    const claims = segment({
      iat: Math.floor(binding.clock.now() / 1000),
      application_id: APPLICATION_ID,
      api_key: API_KEY,
      payload_hash: createHash("sha256").update(body).digest("hex"),
    });
    const signature = createHmac("sha256", SIGNATURE_SECRET).update(`${header}.${claims}`).digest("base64url");
    return fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${header}.${claims}.${signature}` }, body });
  };
}

describe("a Vonage receipt changes only the attempt whose message or call it names", () => {
  test.each(OUTCOMES)(
    "a signed SMS receipt saying %s for A's message, posted to B's callback URL, is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, postReceipt(outcome));
    },
  );

  test.each(OUTCOMES)(
    "a signed call event saying %s for A's call, posted to B's event URL, is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, postCallEvent(outcome), "voice");
    },
  );
});
