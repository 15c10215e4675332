/**
 * The adapter behind verifyd's real webhook route, over real HTTP: the token
 * in the notify URL's query must survive the route.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { DeliveryReport } from "../../../src/providers/adapter.js";
import { createWebhookRoute } from "../../../src/webhooks/webhook-route.js";
import { type InfobipHarness, MESSAGE_ID, PROVIDER, result, startInfobip, STATUSES, WEBHOOK_SECRET } from "./harness.js";

describe("Infobip through the webhook route", () => {
  let h: InfobipHarness;
  let server: Server;
  let base: string;
  const applied: DeliveryReport[] = [];

  beforeAll(async () => {
    h = await startInfobip();
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

  test("applies a delivery report posted to the notify URL with its token", async () => {
    const response = await fetch(`${base}/webhooks/${PROVIDER}/ver_abc123/1?token=${WEBHOOK_SECRET}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ results: [result(STATUSES.DELIVERED_TO_HANDSET)] }),
    });

    expect(response.status).toBe(200);
    expect(applied.at(-1)).toMatchObject({ state: "delivered", providerMessageId: MESSAGE_ID, reference: { verificationId: "ver_abc123", attemptNumber: 1 } });
  });

  test("answers a report with a wrong token with 403 and applies nothing", async () => {
    const before = applied.length;

    const response = await fetch(`${base}/webhooks/${PROVIDER}/ver_abc123/1?token=wrong`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ results: [result(STATUSES.DELIVERED_TO_HANDSET)] }),
    });

    expect(response.status).toBe(403);
    expect(applied).toHaveLength(before);
  });
});
