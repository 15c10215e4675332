import { afterEach, describe, expect, test } from "vitest";
import { sinchBaseUrl, sinchConfigSchema } from "../../../src/providers/sinch/config.js";
import {
  API_TOKEN,
  BATCH_ID,
  BATCHES_PATH,
  CALLBACK_URL,
  expectProviderError,
  FROM,
  live,
  message,
  recipientReport,
  type SinchHarness,
  startSinch,
  TO,
  WEBHOOK_SECRET,
} from "./harness.js";

/** The documented 201 body of POST /xms/v1/{service_plan_id}/batches, trimmed. */
function batchCreated() {
  return {
    id: BATCH_ID,
    to: [TO.slice(1)],
    from: FROM,
    canceled: false,
    body: "Your verifyd code is 493817",
    type: "mt_text",
    created_at: "2023-11-14T22:13:20.000Z",
    modified_at: "2023-11-14T22:13:20.000Z",
    delivery_report: "per_recipient",
    client_reference: "ver_abc123-attempt-1",
  };
}

describe("Sinch send", () => {
  let h: SinchHarness;
  afterEach(async () => h?.api.close());

  test("posts one batch to /xms/v1/{service_plan_id}/batches with the API token as Bearer and returns the batch id", async () => {
    h = await startSinch();
    h.api.route("POST", BATCHES_PATH, { status: 201, body: batchCreated() });

    const result = await h.provider.send(message(), live());

    expect(result).toEqual({ providerMessageId: BATCH_ID });
    const request = h.api.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe(BATCHES_PATH);
    expect(request.headers.authorization).toBe(`Bearer ${API_TOKEN}`);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.json).toEqual({
      to: [TO],
      body: "Your verifyd code is 493817",
      from: FROM,
      delivery_report: "per_recipient",
      client_reference: "ver_abc123-attempt-1",
      callback_url: `${CALLBACK_URL}?token=${WEBHOOK_SECRET}`,
    });
  });

  test("leaves from out when the plan's default originator should choose the sender", async () => {
    h = await startSinch({ from: undefined });
    h.api.route("POST", BATCHES_PATH, { status: 201, body: batchCreated() });

    await h.provider.send(message(), live());

    expect(h.api.requests[0]!.json).not.toHaveProperty("from");
  });

  test("rejects as unavailable when the caller aborts a hanging request", async () => {
    h = await startSinch();
    h.api.route("POST", BATCHES_PATH, { hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("timed out")), 20);

    await expectProviderError(h.provider.send(message(), controller.signal), "unavailable");
  });

  test("treats a 201 without a batch id as unavailable", async () => {
    h = await startSinch();
    h.api.route("POST", BATCHES_PATH, { status: 201, body: { to: [TO] } });

    await expectProviderError(h.provider.send(message(), live()), "unavailable");
  });
});

describe("Sinch queryStatus", () => {
  let h: SinchHarness;
  afterEach(async () => h?.api.close());

  test("reads the batch for its recipient, then that recipient's delivery report", async () => {
    h = await startSinch();
    h.api.route("GET", `${BATCHES_PATH}/${BATCH_ID}`, { status: 200, body: batchCreated() });
    h.api.route("GET", `${BATCHES_PATH}/${BATCH_ID}/delivery_report/46701234567`, { status: 200, body: recipientReport("Delivered", 0) });

    const report = await h.provider.queryStatus(BATCH_ID, live());

    expect(h.api.requests.map((request) => request.path)).toEqual([`${BATCHES_PATH}/${BATCH_ID}`, `${BATCHES_PATH}/${BATCH_ID}/delivery_report/46701234567`]);
    expect(h.api.requests.every((request) => request.headers.authorization === `Bearer ${API_TOKEN}`)).toBe(true);
    expect(report).toMatchObject({ provider: "sinch-eu", state: "delivered", providerMessageId: BATCH_ID, providerStatus: "Delivered" });
  });

  test("reports Dispatched as intermediate", async () => {
    h = await startSinch();
    h.api.route("GET", `${BATCHES_PATH}/${BATCH_ID}`, { status: 200, body: batchCreated() });
    h.api.route("GET", `${BATCHES_PATH}/${BATCH_ID}/delivery_report/46701234567`, { status: 200, body: recipientReport("Dispatched", 401) });

    expect(await h.provider.queryStatus(BATCH_ID, live())).toMatchObject({ state: "intermediate", providerStatus: "Dispatched" });
  });

  test("returns undefined while Sinch has no report for the recipient yet", async () => {
    h = await startSinch();
    h.api.route("GET", `${BATCHES_PATH}/${BATCH_ID}`, { status: 200, body: batchCreated() });
    h.api.route("GET", `${BATCHES_PATH}/${BATCH_ID}/delivery_report/46701234567`, { status: 404, body: "" });

    expect(await h.provider.queryStatus(BATCH_ID, live())).toBeUndefined();
  });
});

describe("Sinch config", () => {
  test("derives the API host from the region and defaults to the US region", () => {
    const base = { name: "sinch", type: "sinch", service_plan_id: "plan", api_token: "token", webhook_secret: WEBHOOK_SECRET };

    expect(sinchBaseUrl(sinchConfigSchema.parse(base))).toBe("https://us.sms.api.sinch.com");
    expect(sinchBaseUrl(sinchConfigSchema.parse({ ...base, region: "eu" }))).toBe("https://eu.sms.api.sinch.com");
    expect(sinchBaseUrl(sinchConfigSchema.parse({ ...base, base_url: "http://127.0.0.1:9" }))).toBe("http://127.0.0.1:9");
  });

  test("refuses a webhook secret shorter than 16 characters", () => {
    const result = sinchConfigSchema.safeParse({ name: "sinch", type: "sinch", service_plan_id: "plan", api_token: "token", webhook_secret: "short" });

    expect(result.success).toBe(false);
  });
});
