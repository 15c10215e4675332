import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlivoProvider } from "../../../src/providers/plivo/plivo.js";
import { StandInServer, WebhookEndpoint } from "../support/stand-in-server.js";
import { AUTH_ID, CALLBACK_URL, callFields, messageStatusFields, outbound, plivo, REQUEST_UUID, signedCallback } from "./plivo-fixtures.js";

let api: StandInServer;
let adapter: PlivoProvider;
let endpoint: WebhookEndpoint;
const path = new URL(CALLBACK_URL).pathname;

beforeAll(async () => {
  api = await StandInServer.start();
  api.route("POST", `/v1/Account/${AUTH_ID}/Call/`, { status: 201, body: { api_id: "97ceeb52", message: "call fired", request_uuid: REQUEST_UUID } });
  adapter = plivo({ base_url: api.url });
  endpoint = await WebhookEndpoint.start([adapter], new URL(CALLBACK_URL).origin);
});
afterAll(async () => {
  adapter.close();
  await endpoint.close();
  await api.close();
});

describe("plivo callbacks through verifyd's webhook route", () => {
  it("serves the call's XML to a signed answer request, as application/xml", async () => {
    await adapter.send(outbound({ channel: "voice", body: "Your code is: 4, 8, 2, 9, 1, 3. Again: 4, 8, 2, 9, 1, 3." }), new AbortController().signal);
    const request = signedCallback(callFields("in-progress"), { url: `${CALLBACK_URL}?event=answer` });

    const response = await fetch(`${endpoint.url}${path}?event=answer`, { method: "POST", headers: request.headers, body: request.body });

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/xml");
    expect((await response.text()).match(/4, 8, 2, 9, 1, 3\./g)).toHaveLength(2);
  });

  it("applies a signed message status callback", async () => {
    endpoint.reports.length = 0;
    const request = signedCallback(messageStatusFields("delivered"));

    const response = await fetch(`${endpoint.url}${path}`, { method: "POST", headers: request.headers, body: request.body });

    expect(response.status).toBe(200);
    expect(endpoint.reports).toEqual([expect.objectContaining({ state: "delivered", reference: { verificationId: "ver_abc123", attemptNumber: 1 } })]);
  });
});
