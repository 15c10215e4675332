import { afterEach, describe, expect, test } from "vitest";
import { ProviderError } from "../../../src/providers/adapter.js";
import { telnyxConfigSchema } from "../../../src/providers/telnyx/config.js";
import { API_KEY, CALLBACK_URL, FROM, generateTelnyxKeys, live, MESSAGE_ID, message, startTelnyx, type TelnyxHarness, TO } from "./harness.js";

/** The documented 200 body of POST /v2/messages, trimmed to what matters. */
function acceptedBody(id = MESSAGE_ID) {
  return {
    data: {
      record_type: "message",
      direction: "outbound",
      id,
      type: "SMS",
      from: { phone_number: FROM, carrier: "TELNYX LLC", line_type: "VoIP" },
      to: [{ phone_number: TO, status: "queued", carrier: "T-MOBILE USA, INC.", line_type: "Wireless" }],
      text: "Your verifyd code is 493817",
      webhook_url: CALLBACK_URL,
      use_profile_webhooks: false,
      encoding: "GSM-7",
      parts: 1,
      errors: [],
    },
  };
}

describe("Telnyx send", () => {
  let h: TelnyxHarness;
  afterEach(async () => h?.api.close());

  test("posts the message to /v2/messages as JSON with the API key as a Bearer token and returns data.id", async () => {
    h = await startTelnyx();
    h.api.route("POST", "/v2/messages", { status: 200, body: acceptedBody() });

    const result = await h.provider.send(message(), live());

    expect(result).toEqual({ providerMessageId: MESSAGE_ID });
    expect(h.api.requests).toHaveLength(1);
    const request = h.api.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/v2/messages");
    expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.json).toEqual({
      to: TO,
      text: "Your verifyd code is 493817",
      from: FROM,
      webhook_url: CALLBACK_URL,
      use_profile_webhooks: false,
    });
  });

  test("sends through the messaging profile when one is configured instead of a from number", async () => {
    h = await startTelnyx({ from: undefined, messaging_profile_id: "4000eba1-a0c0-4563-9925-b25e842a7cb6" });
    h.api.route("POST", "/v2/messages", { status: 200, body: acceptedBody() });

    await h.provider.send(message(), live());

    const sent = h.api.requests[0]!.json as Record<string, unknown>;
    expect(sent.messaging_profile_id).toBe("4000eba1-a0c0-4563-9925-b25e842a7cb6");
    expect(sent).not.toHaveProperty("from");
  });

  test("leaves profile webhooks alone when the attempt has no callback URL", async () => {
    h = await startTelnyx();
    h.api.route("POST", "/v2/messages", { status: 200, body: acceptedBody() });

    await h.provider.send(message({ callbackUrl: "" }), live());

    const sent = h.api.requests[0]!.json as Record<string, unknown>;
    expect(sent).not.toHaveProperty("webhook_url");
    expect(sent).not.toHaveProperty("use_profile_webhooks");
  });

  test("treats a 200 without data.id as unavailable rather than inventing an id", async () => {
    h = await startTelnyx();
    h.api.route("POST", "/v2/messages", { status: 200, body: { data: { record_type: "message" } } });

    await expect(h.provider.send(message(), live())).rejects.toMatchObject({ kind: "unavailable" });
  });

  test("stops waiting and rejects as unavailable when the caller aborts", async () => {
    h = await startTelnyx();
    h.api.route("POST", "/v2/messages", { hang: true });
    const controller = new AbortController();

    const sending = h.provider.send(message(), controller.signal);
    setTimeout(() => controller.abort(new Error("timed out")), 20);

    const error = await sending.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).kind).toBe("unavailable");
  });

  test("does not put the code anywhere but the message text", async () => {
    h = await startTelnyx();
    h.api.route("POST", "/v2/messages", { status: 200, body: acceptedBody() });

    await h.provider.send(message(), live());

    const request = h.api.requests[0]!;
    expect(request.url).not.toContain("493817");
    expect(Object.values(request.headers).join(" ")).not.toContain("493817");
    expect((request.json as { text: string }).text).toContain("493817");
  });
});

describe("Telnyx queryStatus", () => {
  let h: TelnyxHarness;
  afterEach(async () => h?.api.close());

  test("reads GET /v2/messages/{id} and reports a delivered recipient as delivered", async () => {
    h = await startTelnyx();
    const body = acceptedBody();
    body.data.to[0]!.status = "delivered";
    h.api.route("GET", `/v2/messages/${MESSAGE_ID}`, { status: 200, body });

    const report = await h.provider.queryStatus(MESSAGE_ID, live());

    expect(h.api.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(report).toMatchObject({ provider: "telnyx-main", state: "delivered", providerMessageId: MESSAGE_ID, providerStatus: "delivered" });
  });

  test("reports a message still queued as intermediate", async () => {
    h = await startTelnyx();
    h.api.route("GET", `/v2/messages/${MESSAGE_ID}`, { status: 200, body: acceptedBody() });

    const report = await h.provider.queryStatus(MESSAGE_ID, live());

    expect(report).toMatchObject({ state: "intermediate", providerStatus: "queued" });
  });

  test("returns undefined for a message Telnyx does not know", async () => {
    h = await startTelnyx();
    h.api.route("GET", /^\/v2\/messages\//, { status: 404, body: { errors: [{ code: "10005", title: "Resource not found" }] } });

    expect(await h.provider.queryStatus("missing", live())).toBeUndefined();
  });
});

describe("Telnyx config", () => {
  test("defaults base_url to the real API host and the replay window to five minutes", () => {
    const config = telnyxConfigSchema.parse({
      name: "telnyx",
      type: "telnyx",
      api_key: "KEY",
      from: FROM,
      public_key: generateTelnyxKeys().publicKeyBase64,
    });

    expect(config.base_url).toBe("https://api.telnyx.com");
    expect(config.replay_window).toBe(300_000);
    expect(config.channels).toEqual(["sms"]);
  });

  test("refuses a public key that is not 32 bytes of base64, and a config with neither from nor a profile", () => {
    const base = { name: "telnyx", type: "telnyx", api_key: "KEY" };

    expect(telnyxConfigSchema.safeParse({ ...base, from: FROM, public_key: "bm90IGEga2V5" }).success).toBe(false);
    expect(telnyxConfigSchema.safeParse({ ...base, public_key: generateTelnyxKeys().publicKeyBase64 }).success).toBe(false);
  });
});
