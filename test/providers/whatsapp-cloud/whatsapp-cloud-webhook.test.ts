import { describe, expect, test } from "vitest";
import { useHarness } from "../support/adapter-harness.js";
import {
  APP_SECRET,
  expectWebhookError,
  handshake,
  metaSignature,
  notification,
  PROVIDER,
  startWhatsApp,
  statusUpdate,
  VERIFY_TOKEN,
  WAMID,
  type WhatsAppHarness,
  webhook,
} from "./harness.js";

describe("WhatsApp Cloud receipts", () => {
  let h: WhatsAppHarness;
  useHarness(startWhatsApp, (started) => (h = started));

  test("turns a signed delivered status into a delivered report with the message id and the reference Meta echoed", async () => {
    const result = await h.provider.handleWebhook(webhook(notification([statusUpdate("delivered")])));

    expect(result.reports).toEqual([
      {
        provider: PROVIDER,
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: WAMID,
        providerStatus: "delivered",
        error: undefined,
        at: 1_700_000_001_000,
      },
    ]);
  });

  test.each([
    ["sent", "intermediate"],
    ["delivered", "delivered"],
    ["read", "delivered"],
    ["failed", "undelivered"],
  ])("maps status %s to %s", async (status, state) => {
    const result = await h.provider.handleWebhook(webhook(notification([statusUpdate(status)])));

    expect(result.reports[0]).toMatchObject({ state, providerStatus: status, providerMessageId: WAMID });
  });

  test("carries Meta's error code and title on a failed status", async () => {
    const failed = statusUpdate("failed", {
      errors: [{ code: 131026, title: "Message undeliverable", message: "Message undeliverable", error_data: { details: "Message Undeliverable." } }],
    });

    const result = await h.provider.handleWebhook(webhook(notification([failed])));

    expect(result.reports[0]).toMatchObject({ state: "undelivered", error: "131026: Message undeliverable" });
  });

  test("reports by message id alone when the status carries no callback data", async () => {
    const { biz_opaque_callback_data: _data, ...bare } = statusUpdate("delivered");

    const result = await h.provider.handleWebhook(webhook(notification([bare])));

    expect(result.reports[0]).toMatchObject({ providerMessageId: WAMID, reference: undefined, state: "delivered" });
  });

  test("returns the same report for the same webhook delivered twice", async () => {
    const request = webhook(notification([statusUpdate("delivered")]));

    const first = await h.provider.handleWebhook(request);
    const second = await h.provider.handleWebhook(request);

    expect(second.reports).toEqual(first.reports);
    expect(second.reports[0]).toMatchObject({ state: "delivered", providerMessageId: WAMID });
  });

  test("maps statuses that arrive out of order, read before sent, each by its own status", async () => {
    const result = await h.provider.handleWebhook(
      webhook(notification([statusUpdate("read", { timestamp: "1700000005" }), statusUpdate("sent", { timestamp: "1700000001" })])),
    );

    expect(result.reports.map((report) => [report.state, report.at])).toEqual([
      ["delivered", 1_700_000_005_000],
      ["intermediate", 1_700_000_001_000],
    ]);
  });

  test("ignores statuses of another business number on the same app, and inbound messages", async () => {
    const otherNumber = await h.provider.handleWebhook(webhook(notification([statusUpdate("delivered")], "999999999999999")));
    const inbound = notification([]);
    const value = inbound.entry[0]!.changes[0]!.value as Record<string, unknown>;
    delete value.statuses;
    value.messages = [{ from: "16505551234", id: "wamid.inbound", timestamp: "1700000001", type: "text", text: { body: "hi" } }];

    expect(otherNumber.reports).toEqual([]);
    expect((await h.provider.handleWebhook(webhook(inbound))).reports).toEqual([]);
  });
});

describe("WhatsApp Cloud receipt security", () => {
  let h: WhatsAppHarness;
  useHarness(startWhatsApp, (started) => (h = started));

  test("refuses a webhook without X-Hub-Signature-256 with 403", async () => {
    await expectWebhookError(h.provider.handleWebhook(webhook(notification([statusUpdate("delivered")]), { signature: null })), 403);
  });

  test("refuses a webhook signed with another app secret with 403", async () => {
    const body = Buffer.from(JSON.stringify(notification([statusUpdate("delivered")])));

    await expectWebhookError(h.provider.handleWebhook(webhook(undefined, { rawBody: body, signature: metaSignature(body, "another-app-secret") })), 403);
  });

  test("refuses a webhook whose body changed after signing with 403", async () => {
    const request = webhook(notification([statusUpdate("failed")]));
    const tampered = Buffer.from(request.body.toString().replace('"failed"', '"delivered"'));

    await expectWebhookError(h.provider.handleWebhook({ ...request, body: tampered }), 403);
  });

  test("refuses a signature header without the sha256= prefix with 403", async () => {
    const body = Buffer.from(JSON.stringify(notification([statusUpdate("delivered")])));

    await expectWebhookError(h.provider.handleWebhook(webhook(undefined, { rawBody: body, signature: metaSignature(body).slice("sha256=".length) })), 403);
  });

  test("refuses a signed body that is not JSON with 400", async () => {
    await expectWebhookError(h.provider.handleWebhook(webhook(undefined, { rawBody: Buffer.from("entry=1") })), 400);
  });

  test("refuses a signed status without an id with 400", async () => {
    const { id: _id, ...withoutId } = statusUpdate("delivered");

    await expectWebhookError(h.provider.handleWebhook(webhook(notification([withoutId]))), 400);
  });

  test("refuses a signed webhook sent as a form with 415", async () => {
    await expectWebhookError(
      h.provider.handleWebhook(webhook(notification([statusUpdate("delivered")]), { contentType: "application/x-www-form-urlencoded" })),
      415,
    );
  });

  test("verifies the signature over the exact bytes, whatever their formatting", async () => {
    const pretty = Buffer.from(JSON.stringify(notification([statusUpdate("delivered")]), null, 2));

    const result = await h.provider.handleWebhook(webhook(undefined, { rawBody: pretty, signature: metaSignature(pretty, APP_SECRET) }));

    expect(result.reports[0]).toMatchObject({ state: "delivered" });
  });
});

describe("WhatsApp Cloud webhook verification handshake", () => {
  let h: WhatsAppHarness;
  useHarness(startWhatsApp, (started) => (h = started));

  test("answers hub.challenge as plain text when hub.mode is subscribe and the verify token matches", async () => {
    const result = await h.provider.handleWebhook(handshake({ "hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444" }));

    expect(result).toEqual({ reports: [], status: 200, contentType: "text/plain", body: "1158201444" });
  });

  test("refuses the handshake with 403 when the verify token is wrong", async () => {
    await expectWebhookError(h.provider.handleWebhook(handshake({ "hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444" })), 403);
  });

  test("refuses a GET that is not a subscribe handshake with 400", async () => {
    await expectWebhookError(h.provider.handleWebhook(handshake({ "hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1" })), 400);
  });
});
