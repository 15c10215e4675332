/**
 * Issue 10, for Plivo. Message status callbacks may carry only
 * X-Plivo-Signature-V2, which covers the URL (without its query) and a
 * nonce but not the body: a signature taken from any callback to B's URL
 * vouches for whatever body comes with it, so only the message id in that
 * body tells the receipt is A's. V3 covers the URL and every parameter; the
 * binding holds for it too, and for the hang-ups of voice calls.
 */
import { createHmac } from "node:crypto";
import { describe, expect, test, vi } from "vitest";
import { expectBoundToItsMessage, OUTCOMES, type Outcome, type Sent, useReceiptBinding } from "../support/receipt-binding.js";
import { AUTH_ID, AUTH_TOKEN, handSignedV3 } from "./plivo-fixtures.js";

vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));

const PROVIDER = "plivo";
const FROM = "+14151234567";
const NONCE = "05429567804466091622";
let accepted = 0;

const nextUuid = (prefix: string) => `${prefix}-7f1d-11e1-8ea7-${String(++accepted).padStart(12, "0")}`;

const binding = useReceiptBinding({
  provider: PROVIDER,
  channels: ["sms", "voice"],
  config: (baseUrl) => ({ name: PROVIDER, type: "plivo", channels: ["sms", "voice"], base_url: baseUrl, auth_id: AUTH_ID, auth_token: AUTH_TOKEN, from: FROM }),
  acceptSends: (api) => {
    api.route("POST", `/v1/Account/${AUTH_ID}/Message/`, () => ({
      status: 202,
      body: { api_id: "4e1f954c", message: "message(s) queued", message_uuid: [nextUuid("db3ce55a")] },
    }));
    api.route("POST", `/v1/Account/${AUTH_ID}/Call/`, () => ({
      status: 201,
      body: { api_id: "97ceeb52", message: "call fired", request_uuid: nextUuid("9834029e") },
    }));
  },
  callbackUrl: (send) => {
    const json = send.json as { url?: string; answer_url?: string };
    return json.url ?? json.answer_url?.replace(/\?event=answer$/, "") ?? "";
  },
});

function messageStatus(message: Sent, outcome: Outcome): Record<string, string> {
  return {
    From: FROM.slice(1),
    MessageUUID: message.providerMessageId,
    Status: outcome,
    Units: "1",
    ErrorCode: outcome === "delivered" ? "000" : "30",
  };
}

function hangup(message: Sent, outcome: Outcome): Record<string, string> {
  return {
    CallUUID: "2c4a7c5d-1f22-4e6d-9a0f-5c1f0f6a9a11",
    ALegRequestUUID: message.providerMessageId,
    RequestUUID: message.providerMessageId,
    CallStatus: outcome === "delivered" ? "completed" : "no-answer",
    HangupCause: outcome === "delivered" ? "NORMAL_CLEARING" : "NO_ANSWER",
    Direction: "outbound",
  };
}

function postV3(url: string, fields: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-plivo-signature-v3": handSignedV3(url, fields, NONCE),
      "x-plivo-signature-v3-nonce": NONCE,
    },
    body: new URLSearchParams(fields),
  });
}

/** V2 as Plivo's messaging callbacks carry it: HMAC of the URL without its query, then the nonce; the body is not covered. */
function postV2(url: string, fields: Record<string, string>): Promise<Response> {
  const signature = createHmac("sha256", AUTH_TOKEN)
    .update(`${url.split("?")[0]}${NONCE}`)
    .digest("base64");
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-plivo-signature-v2": signature, "x-plivo-signature-v2-nonce": NONCE },
    body: new URLSearchParams(fields),
  });
}

describe("a Plivo callback changes only the attempt whose message or call it names", () => {
  test.each(OUTCOMES)(
    "a message callback saying %s for A's message, with a V2 signature for B's URL (which does not cover the body), is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, (message, url) => postV2(url, messageStatus(message, outcome)));
    },
  );

  test.each(OUTCOMES)(
    "a message callback saying %s for A's message, V3-signed for B's URL, is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, (message, url) => postV3(url, messageStatus(message, outcome)));
    },
  );

  test.each(OUTCOMES)(
    "a hang-up saying %s for A's call, V3-signed for B's hang-up URL, is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, (message, url) => postV3(`${url}?event=hangup`, hangup(message, outcome)), "voice");
    },
  );

  // A report without an id would have changed whatever attempt the URL named: the id is what binds it.
  test("a signed hang-up that names no call is refused with 400 and changes nothing", async () => {
    const b = await binding.start("voice");
    const before = await binding.snapshot(b.id);
    const { CallUUID: _call, ALegRequestUUID: _aLeg, RequestUUID: _request, ...anonymous } = hangup(b, "undelivered");

    const response = await postV3(`${b.callbackUrl}?event=hangup`, anonymous);

    expect(response.status).toBe(400);
    expect(await binding.snapshot(b.id)).toEqual(before);
  });
});
