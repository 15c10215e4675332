/**
 * Issue 10: a Telnyx `message.finalized` signed for message A, posted to
 * verification B's callback path, answered 200 and marked B undelivered or
 * delivered. The Ed25519 signature covers the timestamp and body, not the
 * path, so a receipt moved to another attempt's URL verifies; only its
 * message id tells it is not that attempt's.
 */
import { describe, test, vi } from "vitest";
import { expectBoundToItsMessage, OUTCOMES, type Outcome, type Sent, useReceiptBinding } from "../support/receipt-binding.js";
import { API_KEY, FROM, generateTelnyxKeys, statusEvent, telnyxSignature } from "./harness.js";

vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));

const PROVIDER = "telnyx";
const keys = generateTelnyxKeys();
let accepted = 0;

const binding = useReceiptBinding({
  provider: PROVIDER,
  config: (baseUrl) => ({ name: PROVIDER, type: "telnyx", channels: ["sms"], base_url: baseUrl, api_key: API_KEY, from: FROM, public_key: keys.publicKeyBase64 }),
  acceptSends: (api) =>
    api.route("POST", "/v2/messages", (request) => {
      const id = `40385f64-5717-4562-b3fc-${String(++accepted).padStart(12, "0")}`;
      const to = (request.json as { to: string }).to;
      return { status: 200, body: { data: { id, record_type: "message", direction: "outbound", to: [{ phone_number: to, status: "queued" }] } } };
    }),
  callbackUrl: (send) => (send.json as { webhook_url: string }).webhook_url,
});

const STATUS: Record<Outcome, { status: string; errors: unknown[] }> = {
  delivered: { status: "delivered", errors: [] },
  undelivered: { status: "delivery_failed", errors: [{ code: "40001", title: "Not routable" }] },
};

/** A message.finalized for `message`, signed now with the account's key, posted to `url`. */
function postFinalized(outcome: Outcome) {
  return (message: Sent, url: string): Promise<Response> => {
    const { status, errors } = STATUS[outcome];
    const occurredAt = new Date(binding.clock.now()).toISOString();
    const body = JSON.stringify(statusEvent("message.finalized", status, { id: message.providerMessageId, errors, occurredAt }));
    const timestamp = String(Math.floor(binding.clock.now() / 1000));
    return fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "telnyx-timestamp": timestamp,
        "telnyx-signature-ed25519": telnyxSignature(keys.privateKey, timestamp, Buffer.from(body)),
      },
      body,
    });
  };
}

describe("a Telnyx receipt changes only the attempt whose message it names", () => {
  test.each(OUTCOMES)(
    "a signed %s message.finalized for A's message, posted to B's callback URL, is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, postFinalized(outcome));
    },
  );
});
