/**
 * Issue 10, for Twilio. X-Twilio-Signature covers the URL Twilio called as
 * well as the form, so a status callback moved to another attempt's URL no
 * longer verifies (403). The binding still holds when the signature does:
 * a callback signed for B's URL that names A's message changes nothing.
 */
import { describe, expect, test, vi } from "vitest";
import { twilioSignature } from "../../../src/providers/twilio/signature.js";
import { expectBoundToItsMessage, OUTCOMES, type Outcome, type Sent, useReceiptBinding } from "../support/receipt-binding.js";
import { ACCOUNT_SID, AUTH_TOKEN } from "./twilio-fixtures.js";

vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));

const PROVIDER = "twilio";
const FROM = "+15005550006";
const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
let accepted = 0;

const binding = useReceiptBinding({
  provider: PROVIDER,
  config: (baseUrl) => ({ name: PROVIDER, type: "twilio", channels: ["sms"], base_url: baseUrl, account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN, from: FROM }),
  acceptSends: (api) =>
    api.route("POST", MESSAGES_PATH, (request) => {
      const sid = `SM${String(++accepted).padStart(32, "0")}`;
      return { status: 201, body: { sid, status: "queued", to: request.query.get("To"), from: FROM, account_sid: ACCOUNT_SID, error_code: null } };
    }),
  callbackUrl: (send) => new URLSearchParams(send.text).get("StatusCallback") ?? "",
});

/** A Message status callback for `message`, as Twilio posts it to a URL. */
function statusFields(message: Sent, outcome: Outcome): URLSearchParams {
  const fields = new URLSearchParams({ AccountSid: ACCOUNT_SID, ApiVersion: "2010-04-01", From: FROM, MessageSid: message.providerMessageId });
  fields.set("MessageStatus", outcome);
  if (outcome === "undelivered") fields.set("ErrorCode", "30003");
  return fields;
}

function post(url: string, fields: URLSearchParams, signedFor = url): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": twilioSignature(AUTH_TOKEN, signedFor, fields) },
    body: fields,
  });
}

describe("a Twilio status callback changes only the attempt whose message it names", () => {
  test.each(OUTCOMES)(
    "a callback saying %s for A's message, validly signed for B's callback URL, is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, (message, url) => post(url, statusFields(message, outcome)));
    },
  );

  test("A's callback as Twilio signed it, posted unchanged to B's callback URL, is refused with 403 and changes neither", async () => {
    const a = await binding.start();
    const b = await binding.start();
    const before = [await binding.snapshot(a.id), await binding.snapshot(b.id)];

    const response = await post(b.callbackUrl, statusFields(a, "undelivered"), a.callbackUrl);

    expect(response.status).toBe(403);
    expect([await binding.snapshot(a.id), await binding.snapshot(b.id)]).toEqual(before);
  });
});
