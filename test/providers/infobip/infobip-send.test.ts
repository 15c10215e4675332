import { afterEach, describe, expect, test } from "vitest";
import { infobipConfigSchema } from "../../../src/providers/infobip/config.js";
import {
  API_KEY,
  CALLBACK_URL,
  expectProviderError,
  FROM,
  type InfobipHarness,
  live,
  MESSAGE_ID,
  message,
  result,
  STATUSES,
  startInfobip,
  WEBHOOK_SECRET,
} from "./harness.js";

/** The documented 200 body of POST /sms/3/messages. */
function accepted(status: object = STATUSES.PENDING_ACCEPTED) {
  return { bulkId: "2034072219640523072", messages: [{ messageId: MESSAGE_ID, status, destination: "41793026727", details: { messageCount: 1 } }] };
}

describe("Infobip send", () => {
  let h: InfobipHarness;
  afterEach(async () => h?.api.close());

  test("posts to /sms/3/messages with App authorization and returns the message id", async () => {
    h = await startInfobip();
    h.api.route("POST", "/sms/3/messages", { status: 200, body: accepted() });

    const sent = await h.provider.send(message(), live());

    expect(sent).toEqual({ providerMessageId: MESSAGE_ID });
    const request = h.api.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/sms/3/messages");
    expect(request.headers.authorization).toBe(`App ${API_KEY}`);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.json).toEqual({
      messages: [
        {
          sender: FROM,
          destinations: [{ to: "41793026727" }],
          content: { text: "Your verifyd code is 493817" },
          webhooks: {
            delivery: { url: `${CALLBACK_URL}?token=${WEBHOOK_SECRET}`, intermediateReport: true },
            contentType: "application/json",
          },
        },
      ],
    });
  });

  test("lets the account default sender apply when no from is configured", async () => {
    h = await startInfobip({ from: undefined });
    h.api.route("POST", "/sms/3/messages", { status: 200, body: accepted() });

    await h.provider.send(message(), live());

    expect((h.api.requests[0]!.json as { messages: object[] }).messages[0]).not.toHaveProperty("sender");
  });

  test("rejects as unavailable when the caller aborts a hanging request", async () => {
    h = await startInfobip();
    h.api.route("POST", "/sms/3/messages", { hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("timed out")), 20);

    await expectProviderError(h.provider.send(message(), controller.signal), "unavailable");
  });
});

describe("Infobip queryStatus", () => {
  let h: InfobipHarness;
  afterEach(async () => h?.api.close());

  test("reads GET /sms/3/logs?messageId= and reports DELIVERED_TO_HANDSET as delivered", async () => {
    h = await startInfobip();
    h.api.route("GET", "/sms/3/logs", { status: 200, body: { results: [result(STATUSES.DELIVERED_TO_HANDSET)] } });

    const report = await h.provider.queryStatus(MESSAGE_ID, live());

    const request = h.api.requests[0]!;
    expect(request.query.get("messageId")).toBe(MESSAGE_ID);
    expect(request.headers.authorization).toBe(`App ${API_KEY}`);
    expect(report).toMatchObject({ provider: "infobip", state: "delivered", providerMessageId: MESSAGE_ID, providerStatus: "DELIVERED_TO_HANDSET" });
  });

  test("returns undefined when the logs do not have the message yet", async () => {
    h = await startInfobip();
    h.api.route("GET", "/sms/3/logs", { status: 200, body: { results: [] } });

    expect(await h.provider.queryStatus(MESSAGE_ID, live())).toBeUndefined();
  });
});

describe("Infobip config", () => {
  test("requires the account's own base_url, since Infobip has no shared API host", () => {
    const result = infobipConfigSchema.safeParse({ name: "infobip", type: "infobip", api_key: "key", webhook_secret: WEBHOOK_SECRET });

    expect(result.success).toBe(false);
  });
});
