/**
 * Issue 10, for WhatsApp Cloud. Meta posts every webhook of an app to one
 * URL, so a receipt names its attempt inside the signed body, in
 * `biz_opaque_callback_data`, and the path it reaches verifyd by carries
 * nothing. The binding holds all the same: a signed status that names B's
 * attempt but A's message changes neither, and A's own status changes only A
 * whatever path it is posted to.
 */
import { describe, expect, test, vi } from "vitest";
import { expectBoundToItsMessage, OUTCOMES, type Outcome, type Sent, useReceiptBinding } from "../support/receipt-binding.js";
import { ACCESS_TOKEN, APP_SECRET, MESSAGES_PATH, metaSignature, notification, PHONE_NUMBER_ID, statusUpdate, TEMPLATE, VERIFY_TOKEN } from "./harness.js";

vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));

const PROVIDER = "whatsapp";
let accepted = 0;

const binding = useReceiptBinding({
  provider: PROVIDER,
  channels: ["whatsapp"],
  config: (baseUrl) => ({
    name: PROVIDER,
    type: "whatsapp-cloud",
    channels: ["whatsapp"],
    base_url: baseUrl,
    phone_number_id: PHONE_NUMBER_ID,
    access_token: ACCESS_TOKEN,
    app_secret: APP_SECRET,
    verify_token: VERIFY_TOKEN,
    template: { name: TEMPLATE },
  }),
  acceptSends: (api) =>
    api.route("POST", MESSAGES_PATH, (request) => ({
      body: {
        messaging_product: "whatsapp",
        contacts: [{ input: (request.json as { to: string }).to, wa_id: "12025550100" }],
        messages: [{ id: `wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDNjVGMDRBNjZBQzA1${String(++accepted).padStart(4, "0")}` }],
      },
    })),
});

/** "<verification id>/<attempt>" of a callback URL `<server>/webhooks/whatsapp/<id>/<attempt>`, as verifyd puts it in biz_opaque_callback_data. */
function referenceIn(url: string): string {
  return new URL(url).pathname.split("/").slice(3).join("/");
}

/** A signed status for `message` that names the attempt `about` in its callback data, posted to `url`. */
function postStatus(message: Sent, outcome: Outcome, about: string, url: string): Promise<Response> {
  const status = statusUpdate(outcome === "delivered" ? "delivered" : "failed", {
    id: message.providerMessageId,
    biz_opaque_callback_data: about,
    timestamp: String(Math.floor(binding.clock.now() / 1000)),
    ...(outcome === "undelivered" && { errors: [{ code: 131026, title: "Message undeliverable" }] }),
  });
  const body = Buffer.from(JSON.stringify(notification([status])));
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": metaSignature(body) }, body });
}

describe("a WhatsApp status changes only the attempt whose message it names", () => {
  test.each(OUTCOMES)(
    "a signed status saying %s for A's message that names B's attempt, posted to B's callback path, is answered 200 and logged, and changes neither; naming A it applies",
    async (outcome) => {
      await expectBoundToItsMessage(binding, outcome, (message, url) => postStatus(message, outcome, referenceIn(url), url));
    },
  );

  test("A's own signed status posted to B's callback path applies to A alone: the path is not what names the attempt", async () => {
    const a = await binding.start();
    const b = await binding.start();
    const beforeB = await binding.snapshot(b.id);

    const response = await postStatus(a, "delivered", referenceIn(a.callbackUrl), b.callbackUrl);

    expect(response.status).toBe(200);
    expect((await binding.snapshot(a.id)).record.status).toBe("delivered");
    expect(await binding.snapshot(b.id)).toEqual(beforeB);
  });
});
