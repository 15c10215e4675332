/**
 * The adapter behind verifyd's real webhook route, over real HTTP: the
 * Ed25519 signature must verify against the raw bytes the route reads.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DeliveryReport } from "../../../src/providers/adapter.js";
import { createWebhookRoute } from "../../../src/webhooks/webhook-route.js";
import { MESSAGE_ID, PROVIDER, startTelnyx, statusEvent, type TelnyxHarness, telnyxSignature } from "./harness.js";

describe("Telnyx through the webhook route", () => {
  let h: TelnyxHarness;
  let server: Server;
  let base: string;
  const applied: DeliveryReport[] = [];

  beforeAll(async () => {
    h = await startTelnyx();
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const route = createWebhookRoute({
      providers: new Map([[PROVIDER, h.provider]]),
      publicUrl: () => base,
      onReport: async (report) => {
        applied.push(report);
      },
      logger: quiet,
    });
    server = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://route");
      void route(request, response, url.pathname, url.search);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await h.api.close();
  });

  function post(body: string, signature: string) {
    return fetch(`${base}/webhooks/${PROVIDER}/ver_abc123/1`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "telnyx-timestamp": String(Math.floor(h.context.now() / 1000)),
        "telnyx-signature-ed25519": signature,
      },
      body,
    });
  }

  test("applies a signed message.finalized and answers 200", async () => {
    const body = JSON.stringify(statusEvent("message.finalized", "delivered"));
    const timestamp = String(Math.floor(h.context.now() / 1000));

    const response = await post(body, telnyxSignature(h.privateKey, timestamp, Buffer.from(body)));

    expect(response.status).toBe(200);
    expect(applied.at(-1)).toMatchObject({ state: "delivered", providerMessageId: MESSAGE_ID, reference: { verificationId: "ver_abc123", attemptNumber: 1 } });
  });

  test("answers a forged signature with 403 and applies nothing", async () => {
    const before = applied.length;
    const body = JSON.stringify(statusEvent("message.finalized", "delivered"));

    const response = await post(body, Buffer.alloc(64, 7).toString("base64"));

    expect(response.status).toBe(403);
    expect(applied).toHaveLength(before);
  });
});
