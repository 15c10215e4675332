/**
 * The adapter behind verifyd's real webhook route, over real HTTP: Meta's
 * GET handshake must come back as the bare challenge, and a signed POST must
 * verify against the raw bytes the route hands over.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DeliveryReport } from "../../../src/providers/adapter.js";
import { createWebhookRoute } from "../../../src/webhooks/webhook-route.js";
import { metaSignature, notification, PROVIDER, startWhatsApp, statusUpdate, VERIFY_TOKEN, WAMID, type WhatsAppHarness } from "./harness.js";

describe("WhatsApp Cloud through the webhook route", () => {
  let h: WhatsAppHarness;
  let server: Server;
  let base: string;
  const applied: DeliveryReport[] = [];

  beforeAll(async () => {
    h = await startWhatsApp();
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

  test("answers Meta's verification GET with the challenge as the whole body", async () => {
    const response = await fetch(`${base}/webhooks/${PROVIDER}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe("1158201444");
  });

  test("applies the report of a signed status POST and answers 200", async () => {
    const body = JSON.stringify(notification([statusUpdate("delivered")]));

    const response = await fetch(`${base}/webhooks/${PROVIDER}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(Buffer.from(body)) },
      body,
    });

    expect(response.status).toBe(200);
    expect(applied.at(-1)).toMatchObject({ provider: PROVIDER, state: "delivered", providerMessageId: WAMID });
  });

  test("answers a forged POST with 403 and applies nothing", async () => {
    const before = applied.length;
    const body = JSON.stringify(notification([statusUpdate("delivered")]));

    const response = await fetch(`${base}/webhooks/${PROVIDER}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(Buffer.from(body), "wrong-secret") },
      body,
    });

    expect(response.status).toBe(403);
    expect(applied).toHaveLength(before);
  });
});
