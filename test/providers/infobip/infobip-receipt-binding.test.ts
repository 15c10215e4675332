/**
 * Issue 10, for Infobip. Infobip does not sign delivery reports: every
 * notify URL carries the same webhook token instead. A report for message A
 * posted to verification B's URL, token and all, passes that check, so only
 * its message id tells it is not B's.
 */
import { describe, test, vi } from "vitest";
import { expectBoundToItsMessage, OUTCOMES, type Outcome, type Sent, useReceiptBinding } from "../support/receipt-binding.js";
import { API_KEY, FROM, result, STATUSES, WEBHOOK_SECRET } from "./harness.js";

vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));

const PROVIDER = "infobip";
let accepted = 0;

const binding = useReceiptBinding({
  provider: PROVIDER,
  config: (baseUrl) => ({ name: PROVIDER, type: "infobip", channels: ["sms"], base_url: baseUrl, api_key: API_KEY, from: FROM, webhook_secret: WEBHOOK_SECRET }),
  acceptSends: (api) =>
    api.route("POST", "/sms/3/messages", () => ({
      body: {
        bulkId: "2034072219640523073",
        messages: [{ messageId: `2250be2d4219-3af1-78856-${String(++accepted).padStart(12, "0")}`, status: STATUSES.PENDING_ACCEPTED }],
      },
    })),
  callbackUrl: (send) => (send.json as { messages: Array<{ webhooks: { delivery: { url: string } } }> }).messages[0]!.webhooks.delivery.url,
});

/** A delivery report for `message`, posted to `url` (whose token query is what Infobip's reports are checked by). */
function postReport(outcome: Outcome) {
  return (message: Sent, url: string): Promise<Response> => {
    const status = outcome === "delivered" ? STATUSES.DELIVERED_TO_HANDSET : STATUSES.UNDELIVERABLE_NOT_DELIVERED;
    const body = JSON.stringify({ results: [result(status, { messageId: message.providerMessageId })] });
    return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
  };
}

describe("an Infobip delivery report changes only the attempt whose message it names", () => {
  test.each(OUTCOMES)(
    "a report saying %s for A's message, posted to B's notify URL with the webhook token, is answered 200 and logged, and changes neither; at A's own URL it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, postReport(outcome));
    },
  );
});
