import { afterEach, describe, expect, test } from "vitest";
import type { ProviderAdapter } from "../../../src/providers/adapter.js";
import { whatsappCloudConfigSchema } from "../../../src/providers/whatsapp-cloud/config.js";
import { ACCESS_TOKEN, expectProviderError, live, MESSAGES_PATH, message, startWhatsApp, TEMPLATE, TO, WAMID, type WhatsAppHarness } from "./harness.js";

/** The documented 200 body of POST /{phone_number_id}/messages. */
function accepted() {
  return { messaging_product: "whatsapp", contacts: [{ input: TO, wa_id: "16505551234" }], messages: [{ id: WAMID, message_status: "accepted" }] };
}

describe("WhatsApp Cloud send", () => {
  let h: WhatsAppHarness;
  afterEach(async () => h?.api.close());

  test("posts the authentication template with the code in the body and the copy-code button, Bearer token, and returns messages[0].id", async () => {
    h = await startWhatsApp();
    h.api.route("POST", MESSAGES_PATH, { status: 200, body: accepted() });

    const result = await h.provider.send(message(), live());

    expect(result).toEqual({ providerMessageId: WAMID });
    const request = h.api.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe(MESSAGES_PATH);
    expect(request.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.json).toEqual({
      messaging_product: "whatsapp",
      recipient_type: "individual",
      to: TO,
      type: "template",
      template: {
        name: TEMPLATE,
        language: { code: "en_US" },
        components: [
          { type: "body", parameters: [{ type: "text", text: "493817" }] },
          { type: "button", sub_type: "url", index: "0", parameters: [{ type: "text", text: "493817" }] },
        ],
      },
      biz_opaque_callback_data: "ver_abc123/1",
    });
  });

  test("picks the template language for the verification's locale, then its language, then the default", async () => {
    h = await startWhatsApp();
    h.api.route("POST", MESSAGES_PATH, { status: 200, body: accepted() });

    await h.provider.send(message({ locale: "pt-BR" }), live());
    await h.provider.send(message({ locale: "de-AT" }), live());
    await h.provider.send(message({ locale: "fr" }), live());

    const languages = h.api.requests.map((request) => (request.json as { template: { language: { code: string } } }).template.language.code);
    expect(languages).toEqual(["pt_BR", "de", "en_US"]);
  });

  test("uses the configured Graph API version in the path", async () => {
    h = await startWhatsApp({ api_version: "v21.0" });
    h.api.route("POST", /\/messages$/, { status: 200, body: accepted() });

    await h.provider.send(message(), live());

    expect(h.api.requests[0]!.path).toBe("/v21.0/106540352242922/messages");
  });

  test("rejects as unavailable when the caller aborts a hanging request", async () => {
    h = await startWhatsApp();
    h.api.route("POST", MESSAGES_PATH, { hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("timed out")), 20);

    await expectProviderError(h.provider.send(message(), controller.signal), "unavailable");
  });

  test("treats a 200 without messages[0].id as unavailable", async () => {
    h = await startWhatsApp();
    h.api.route("POST", MESSAGES_PATH, { status: 200, body: { messaging_product: "whatsapp", messages: [] } });

    await expectProviderError(h.provider.send(message(), live()), "unavailable");
  });

  test("offers no queryStatus, since the Cloud API has no message status endpoint", async () => {
    h = await startWhatsApp();
    const adapter: ProviderAdapter = h.provider;

    expect(adapter.queryStatus).toBeUndefined();
  });
});

describe("WhatsApp Cloud config", () => {
  test("defaults to graph.facebook.com, a pinned Graph API version and the whatsapp channel", () => {
    const config = whatsappCloudConfigSchema.parse({
      name: "wa",
      type: "whatsapp-cloud",
      phone_number_id: "1",
      access_token: "t",
      app_secret: "s",
      verify_token: "v",
      template: { name: "otp" },
    });

    expect(config.base_url).toBe("https://graph.facebook.com");
    expect(config.api_version).toMatch(/^v\d+\.\d+$/);
    expect(config.channels).toEqual(["whatsapp"]);
    expect(config.template).toEqual({ name: "otp", language: "en_US", languages: {} });
  });

  test("refuses an SMS channel on a WhatsApp provider", () => {
    const result = whatsappCloudConfigSchema.safeParse({
      name: "wa",
      type: "whatsapp-cloud",
      channels: ["sms"],
      phone_number_id: "1",
      access_token: "t",
      app_secret: "s",
      verify_token: "v",
      template: { name: "otp" },
    });

    expect(result.success).toBe(false);
  });
});
