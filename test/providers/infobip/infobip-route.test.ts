/**
 * The adapter behind verifyd's real webhook route, over real HTTP: the token
 * in the notify URL's query must survive the route.
 */
import { describe, expect, test } from "vitest";
import { behindWebhookRoute } from "../support/webhook-route.js";
import { MESSAGE_ID, PROVIDER, result, STATUSES, startInfobip, WEBHOOK_SECRET } from "./harness.js";

describe("Infobip through the webhook route", () => {
  const route = behindWebhookRoute(startInfobip);

  test("applies a delivery report posted to the notify URL with its token", async () => {
    const response = await fetch(`${route.base}/webhooks/${PROVIDER}/ver_abc123/1?token=${WEBHOOK_SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ results: [result(STATUSES.DELIVERED_TO_HANDSET)] }),
    });

    expect(response.status).toBe(200);
    expect(route.applied.at(-1)).toMatchObject({ state: "delivered", providerMessageId: MESSAGE_ID, reference: { verificationId: "ver_abc123", attemptNumber: 1 } });
  });

  test("answers a report with a wrong token with 403 and applies nothing", async () => {
    const before = route.applied.length;

    const response = await fetch(`${route.base}/webhooks/${PROVIDER}/ver_abc123/1?token=wrong`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ results: [result(STATUSES.DELIVERED_TO_HANDSET)] }),
    });

    expect(response.status).toBe(403);
    expect(route.applied).toHaveLength(before);
  });
});
