/**
 * Issue 10, for Sinch. Every callback URL carries the same webhook token,
 * and an HMAC-enabled plan signs the body, a nonce and a timestamp, not the
 * URL: a delivery report for batch A posted to verification B's callback URL
 * passes both checks, so only its batch id tells it is not B's.
 */
import { createHmac } from "node:crypto";
import { describe, test, vi } from "vitest";
import { expectBoundToItsMessage, OUTCOMES, type Outcome, type Sent, useReceiptBinding } from "../support/receipt-binding.js";
import { API_TOKEN, BATCHES_PATH, FROM, HMAC_SECRET, SERVICE_PLAN_ID, WEBHOOK_SECRET } from "./harness.js";

vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));

const PROVIDER = "sinch";
let accepted = 0;

const binding = useReceiptBinding({
  provider: PROVIDER,
  config: (baseUrl) => ({
    name: PROVIDER,
    type: "sinch",
    channels: ["sms"],
    base_url: baseUrl,
    service_plan_id: SERVICE_PLAN_ID,
    api_token: API_TOKEN,
    from: FROM,
    webhook_secret: WEBHOOK_SECRET,
    hmac_secret: HMAC_SECRET,
  }),
  acceptSends: (api) =>
    api.route("POST", BATCHES_PATH, (request) => ({
      status: 201,
      body: { id: `01FC66621XXXXX119Z8PMV${String(++accepted).padStart(4, "0")}`, to: (request.json as { to: string[] }).to, from: FROM, canceled: false },
    })),
  callbackUrl: (send) => (send.json as { callback_url: string }).callback_url,
});

/** A recipient delivery report for `message`'s batch, HMAC-signed now, posted to `url`. */
function postReport(outcome: Outcome) {
  return (message: Sent, url: string): Promise<Response> => {
    const at = new Date(binding.clock.now()).toISOString();
    const body = JSON.stringify({
      type: "recipient_delivery_report_sms",
      batch_id: message.providerMessageId,
      recipient: "12025550100",
      status: outcome === "delivered" ? "Delivered" : "Failed",
      code: outcome === "delivered" ? 0 : 402,
      at,
      operator_status_at: at,
    });
    const timestamp = String(Math.floor(binding.clock.now() / 1000));
    const nonce = "01FJA8B4A7BM43YGWSG9GBV067";
    return fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-sinch-webhook-signature-timestamp": timestamp,
        "x-sinch-webhook-signature-nonce": nonce,
        "x-sinch-webhook-signature-algorithm": "HmacSHA256",
        "x-sinch-webhook-signature": createHmac("sha256", HMAC_SECRET).update(`${body}.${nonce}.${timestamp}`).digest("base64"),
      },
      body,
    });
  };
}

describe("a Sinch delivery report changes only the attempt whose batch it names", () => {
  test.each(OUTCOMES)(
    "a signed report saying %s for A's batch, posted to B's callback URL with the webhook token, is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, postReport(outcome));
    },
  );
});
