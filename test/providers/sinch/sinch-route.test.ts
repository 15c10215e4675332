/**
 * The adapter behind verifyd's real webhook route, over real HTTP: the token
 * Sinch brings back in the callback URL's query must survive the route.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DeliveryReport } from "../../../src/providers/adapter.js";
import { createWebhookRoute } from "../../../src/webhooks/webhook-route.js";
import { BATCH_ID, PROVIDER, recipientReport, type SinchHarness, startSinch, WEBHOOK_SECRET } from "./harness.js";

describe("Sinch through the webhook route", () => {
  let h: SinchHarness;
  let server: Server;
  let base: string;
  const applied: DeliveryReport[] = [];

  beforeAll(async () => {
    h = await startSinch();
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

  test("applies a delivery report posted to the callback URL with its token", async () => {
    const response = await fetch(`${base}/webhooks/${PROVIDER}/ver_abc123/1?token=${WEBHOOK_SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(recipientReport("Delivered", 0)),
    });

    expect(response.status).toBe(200);
    expect(applied.at(-1)).toMatchObject({
      state: "delivered",
      providerMessageId: BATCH_ID,
      reference: { verificationId: "ver_abc123", attemptNumber: 1 },
    });
  });

  test("answers a report without the token with 403 and applies nothing", async () => {
    const before = applied.length;

    const response = await fetch(`${base}/webhooks/${PROVIDER}/ver_abc123/1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(recipientReport("Delivered", 0)),
    });

    expect(response.status).toBe(403);
    expect(applied).toHaveLength(before);
  });
});
