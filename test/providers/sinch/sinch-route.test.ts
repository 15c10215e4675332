/**
 * The adapter behind verifyd's real webhook route, over real HTTP: the token
 * Sinch brings back in the callback URL's query must survive the route.
 */
import { describe, expect, test } from "vitest";
import { behindWebhookRoute } from "../support/webhook-route.js";
import { BATCH_ID, PROVIDER, recipientReport, startSinch, WEBHOOK_SECRET } from "./harness.js";

describe("Sinch through the webhook route", () => {
  const route = behindWebhookRoute(startSinch);

  test("applies a delivery report posted to the callback URL with its token", async () => {
    const response = await fetch(`${route.base}/webhooks/${PROVIDER}/ver_abc123/1?token=${WEBHOOK_SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(recipientReport("Delivered", 0)),
    });

    expect(response.status).toBe(200);
    expect(route.applied.at(-1)).toMatchObject({
      state: "delivered",
      providerMessageId: BATCH_ID,
      reference: { verificationId: "ver_abc123", attemptNumber: 1 },
    });
  });

  test("answers a report without the token with 403 and applies nothing", async () => {
    const before = route.applied.length;

    const response = await fetch(`${route.base}/webhooks/${PROVIDER}/ver_abc123/1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(recipientReport("Delivered", 0)),
    });

    expect(response.status).toBe(403);
    expect(route.applied).toHaveLength(before);
  });
});
