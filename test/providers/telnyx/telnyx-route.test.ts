/**
 * The adapter behind verifyd's real webhook route, over real HTTP: the
 * Ed25519 signature must verify against the raw bytes the route reads.
 */
import { describe, expect, test } from "vitest";
import { behindWebhookRoute } from "../support/webhook-route.js";
import { MESSAGE_ID, PROVIDER, startTelnyx, statusEvent, telnyxSignature } from "./harness.js";

describe("Telnyx through the webhook route", () => {
  const route = behindWebhookRoute(startTelnyx);

  function post(body: string, signature: string) {
    return fetch(`${route.base}/webhooks/${PROVIDER}/ver_abc123/1`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "telnyx-timestamp": String(Math.floor(route.h.context.now() / 1000)),
        "telnyx-signature-ed25519": signature,
      },
      body,
    });
  }

  test("applies a signed message.finalized and answers 200", async () => {
    const body = JSON.stringify(statusEvent("message.finalized", "delivered"));
    const timestamp = String(Math.floor(route.h.context.now() / 1000));

    const response = await post(body, telnyxSignature(route.h.privateKey, timestamp, Buffer.from(body)));

    expect(response.status).toBe(200);
    expect(route.applied.at(-1)).toMatchObject({ state: "delivered", providerMessageId: MESSAGE_ID, reference: { verificationId: "ver_abc123", attemptNumber: 1 } });
  });

  test("answers a forged signature with 403 and applies nothing", async () => {
    const before = route.applied.length;
    const body = JSON.stringify(statusEvent("message.finalized", "delivered"));

    const response = await post(body, Buffer.alloc(64, 7).toString("base64"));

    expect(response.status).toBe(403);
    expect(route.applied).toHaveLength(before);
  });
});
