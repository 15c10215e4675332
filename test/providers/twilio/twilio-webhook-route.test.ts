import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WebhookEndpoint } from "../support/stand-in-server.js";
import { CALLBACK_URL, messageStatusFields, NOW, PUBLIC_URL, statusCallback, twilio } from "./twilio-fixtures.js";

let endpoint: WebhookEndpoint;

beforeAll(async () => {
  endpoint = await WebhookEndpoint.start([twilio()], PUBLIC_URL);
});
afterAll(async () => {
  await endpoint.close();
});
beforeEach(() => {
  endpoint.reports.length = 0;
});

function post(request: ReturnType<typeof statusCallback>) {
  return fetch(`${endpoint.url}${new URL(CALLBACK_URL).pathname}`, { method: "POST", headers: request.headers, body: request.body });
}

describe("twilio status callbacks through verifyd's webhook route", () => {
  it("verifies the signature against the public callback URL and applies the delivered report", async () => {
    const response = await post(statusCallback(messageStatusFields("delivered")));

    expect(response.status).toBe(200);
    expect(endpoint.reports).toEqual([
      {
        provider: "twilio-main",
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        providerStatus: "delivered",
        at: NOW,
      },
    ]);
  });

  it("answers a forged callback with 403 and applies nothing", async () => {
    const response = await post(statusCallback(messageStatusFields("delivered"), { token: "forged" }));

    expect(response.status).toBe(403);
    expect(endpoint.reports).toEqual([]);
  });
});
