import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WebhookEndpoint } from "../support/stand-in-server.js";
import { CALLBACK_URL, callEvent, callEventFields, NOW, receiptFields, vonage } from "./vonage-fixtures.js";

let endpoint: WebhookEndpoint;
const path = new URL(CALLBACK_URL).pathname;

beforeAll(async () => {
  endpoint = await WebhookEndpoint.start([vonage()], new URL(CALLBACK_URL).origin);
});
afterAll(async () => {
  await endpoint.close();
});
beforeEach(() => {
  endpoint.reports.length = 0;
});

describe("vonage receipts through verifyd's webhook route", () => {
  it("applies a signed delivery receipt that arrives as a GET with its fields in the query", async () => {
    const query = new URLSearchParams(receiptFields("delivered")).toString();

    const response = await fetch(`${endpoint.url}${path}?${query}`);

    expect(response.status).toBe(200);
    expect(endpoint.reports).toEqual([
      {
        provider: "vonage-main",
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: "0A0000001234567B",
        providerStatus: "delivered",
        at: NOW,
      },
    ]);
  });

  it("applies a signed call event posted as JSON", async () => {
    const request = callEvent(callEventFields("completed", { duration: "11" }));

    const response = await fetch(`${endpoint.url}${path}`, { method: "POST", headers: request.headers, body: request.body });

    expect(response.status).toBe(200);
    expect(endpoint.reports).toHaveLength(1);
    expect(endpoint.reports[0]).toMatchObject({ state: "delivered", providerStatus: "completed" });
  });

  it("answers a replayed receipt with 403 and applies nothing", async () => {
    const query = new URLSearchParams(receiptFields("delivered", {}, NOW / 1000 - 3_600)).toString();

    const response = await fetch(`${endpoint.url}${path}?${query}`);

    expect(response.status).toBe(403);
    expect(endpoint.reports).toEqual([]);
  });
});
