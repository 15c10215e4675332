/**
 * The adapter behind verifyd's real webhook route, over real HTTP: Meta's
 * GET handshake must come back as the bare challenge, and a signed POST must
 * verify against the raw bytes the route hands over.
 */
import { describe, expect, test } from "vitest";
import { behindWebhookRoute } from "../support/webhook-route.js";
import { metaSignature, notification, PROVIDER, startWhatsApp, statusUpdate, VERIFY_TOKEN, WAMID } from "./harness.js";

describe("WhatsApp Cloud through the webhook route", () => {
  const route = behindWebhookRoute(startWhatsApp);

  test("answers Meta's verification GET with the challenge as the whole body", async () => {
    const response = await fetch(`${route.base}/webhooks/${PROVIDER}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("1158201444");
  });

  test("applies the report of a signed status POST and answers 200", async () => {
    const body = JSON.stringify(notification([statusUpdate("delivered")]));

    const response = await fetch(`${route.base}/webhooks/${PROVIDER}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(Buffer.from(body)) },
      body,
    });

    expect(response.status).toBe(200);
    expect(route.applied.at(-1)).toMatchObject({ provider: PROVIDER, state: "delivered", providerMessageId: WAMID });
  });

  test("answers a forged POST with 403 and applies nothing", async () => {
    const before = route.applied.length;
    const body = JSON.stringify(notification([statusUpdate("delivered")]));

    const response = await fetch(`${route.base}/webhooks/${PROVIDER}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(Buffer.from(body), "wrong-secret") },
      body,
    });

    expect(response.status).toBe(403);
    expect(route.applied).toHaveLength(before);
  });
});
