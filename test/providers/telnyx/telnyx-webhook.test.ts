import { verify } from "node:crypto";
import { describe, expect, test } from "vitest";
import { telnyxPublicKey } from "../../../src/providers/telnyx/signature.js";
import { useHarness } from "../support/adapter-harness.js";
import {
  expectWebhookError,
  generateTelnyxKeys,
  MESSAGE_ID,
  PROVIDER,
  signedWebhook,
  startTelnyx,
  statusEvent,
  type TelnyxHarness,
  telnyxSignature,
} from "./harness.js";

describe("Telnyx receipts", () => {
  let h: TelnyxHarness;
  useHarness(startTelnyx, (started) => (h = started));

  test("turns a signed message.finalized with a delivered recipient into a delivered report for the attempt in the URL", async () => {
    const result = await h.provider.handleWebhook(signedWebhook(h, statusEvent("message.finalized", "delivered")));

    expect(result.reports).toEqual([
      {
        provider: PROVIDER,
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: MESSAGE_ID,
        providerStatus: "delivered",
        error: undefined,
        at: Date.parse("2023-11-14T22:13:20.000+00:00"),
      },
    ]);
    expect(result.status ?? 200).toBe(200);
  });

  test("keeps message.sent as an intermediate state", async () => {
    const result = await h.provider.handleWebhook(signedWebhook(h, statusEvent("message.sent", "sent")));

    expect(result.reports).toHaveLength(1);
    expect(result.reports[0]).toMatchObject({ state: "intermediate", providerStatus: "sent" });
  });

  test.each([
    ["delivery_failed", "undelivered"],
    ["sending_failed", "undelivered"],
    ["expired", "undelivered"],
    ["delivery_unconfirmed", "intermediate"],
    ["queued", "intermediate"],
    ["sending", "intermediate"],
  ])("maps a finalized recipient status %s to %s", async (status, state) => {
    const result = await h.provider.handleWebhook(signedWebhook(h, statusEvent("message.finalized", status)));

    expect(result.reports[0]).toMatchObject({ state, providerStatus: status });
  });

  test("carries the first documented delivery error on an undelivered report", async () => {
    const event = statusEvent("message.finalized", "delivery_failed", {
      errors: [{ code: "40008", title: "Undeliverable", detail: "The recipient carrier did not accept the message." }],
    });

    const result = await h.provider.handleWebhook(signedWebhook(h, event));

    expect(result.reports[0]).toMatchObject({ state: "undelivered", error: "40008: Undeliverable" });
  });

  test("returns the same report for the same receipt delivered twice, leaving idempotency to the domain", async () => {
    const request = signedWebhook(h, statusEvent("message.finalized", "delivered"));

    const first = await h.provider.handleWebhook(request);
    const second = await h.provider.handleWebhook(request);

    expect(second.reports).toEqual(first.reports);
    expect(second.reports[0]).toMatchObject({ state: "delivered", providerMessageId: MESSAGE_ID });
  });

  test("maps receipts that arrive out of order each by its own status", async () => {
    const finalized = await h.provider.handleWebhook(
      signedWebhook(h, statusEvent("message.finalized", "delivered", { occurredAt: "2023-11-14T22:13:25.000+00:00" })),
    );
    const lateSent = await h.provider.handleWebhook(signedWebhook(h, statusEvent("message.sent", "sent", { occurredAt: "2023-11-14T22:13:21.000+00:00" })));

    expect(finalized.reports[0]).toMatchObject({ state: "delivered", at: Date.parse("2023-11-14T22:13:25.000+00:00") });
    expect(lateSent.reports[0]).toMatchObject({ state: "intermediate", at: Date.parse("2023-11-14T22:13:21.000+00:00") });
  });

  test("answers events about other things, such as inbound messages, with no reports", async () => {
    const inbound = { data: { event_type: "message.received", id: "e1", payload: { id: "m1", direction: "inbound", to: [] } } };

    const result = await h.provider.handleWebhook(signedWebhook(h, inbound));

    expect(result.reports).toEqual([]);
  });

  test("leaves the reference out when the URL carries none, so the domain matches by message id", async () => {
    const result = await h.provider.handleWebhook(signedWebhook(h, statusEvent("message.finalized", "delivered"), { subpath: "" }));

    expect(result.reports[0]).toMatchObject({ providerMessageId: MESSAGE_ID, reference: undefined });
  });
});

describe("Telnyx receipt security", () => {
  let h: TelnyxHarness;
  useHarness(startTelnyx, (started) => (h = started));

  test("refuses a receipt signed with another key with 403", async () => {
    const forger = generateTelnyxKeys();
    const body = Buffer.from(JSON.stringify(statusEvent("message.finalized", "delivered")));
    const timestamp = String(Math.floor(h.context.now() / 1000));

    await expectWebhookError(
      h.provider.handleWebhook(signedWebhook(h, undefined, { rawBody: body, timestamp, signature: telnyxSignature(forger.privateKey, timestamp, body) })),
      403,
    );
  });

  test("refuses a receipt whose body was changed after signing with 403", async () => {
    const request = signedWebhook(h, statusEvent("message.finalized", "delivery_failed"));
    const tampered = { ...request, body: Buffer.from(request.body.toString().replace("delivery_failed", "delivered")) };

    await expectWebhookError(h.provider.handleWebhook(tampered), 403);
  });

  test("refuses a receipt without signature headers with 403", async () => {
    const request = signedWebhook(h, statusEvent("message.finalized", "delivered"));
    const { "telnyx-signature-ed25519": _signature, ...headers } = request.headers;

    await expectWebhookError(h.provider.handleWebhook({ ...request, headers }), 403);
  });

  test("refuses a correctly signed receipt replayed after the five-minute window with 403", async () => {
    const signedAt = String(Math.floor(h.context.now() / 1000) - 301);

    await expectWebhookError(h.provider.handleWebhook(signedWebhook(h, statusEvent("message.finalized", "delivered"), { timestamp: signedAt })), 403);
  });

  test("refuses a timestamp too far in the future too, and accepts one inside the window", async () => {
    const nowSeconds = Math.floor(h.context.now() / 1000);

    await expectWebhookError(
      h.provider.handleWebhook(signedWebhook(h, statusEvent("message.finalized", "delivered"), { timestamp: String(nowSeconds + 301) })),
      403,
    );
    const inside = await h.provider.handleWebhook(signedWebhook(h, statusEvent("message.finalized", "delivered"), { timestamp: String(nowSeconds - 299) }));
    expect(inside.reports[0]).toMatchObject({ state: "delivered" });
  });

  test("honours a configured replay window", async () => {
    const strict = await startTelnyx({ replay_window: "30s" });
    try {
      const signedAt = String(Math.floor(strict.context.now() / 1000) - 31);
      await expectWebhookError(strict.provider.handleWebhook(signedWebhook(strict, statusEvent("message.finalized", "delivered"), { timestamp: signedAt })), 403);
    } finally {
      await strict.api.close();
    }
  });

  test("refuses a signed body that is not JSON with 400", async () => {
    await expectWebhookError(h.provider.handleWebhook(signedWebhook(h, undefined, { rawBody: Buffer.from("{not json") })), 400);
  });

  test("refuses a signed status event without recipients with 400", async () => {
    const event = statusEvent("message.finalized", "delivered") as { data: { payload: Record<string, unknown> } };
    delete event.data.payload.to;

    await expectWebhookError(h.provider.handleWebhook(signedWebhook(h, event)), 400);
  });

  test("refuses a signed receipt sent as a form with 415", async () => {
    await expectWebhookError(
      h.provider.handleWebhook(signedWebhook(h, statusEvent("message.finalized", "delivered"), { contentType: "application/x-www-form-urlencoded" })),
      415,
    );
  });

  test("refuses GET with 405", async () => {
    const request = signedWebhook(h, statusEvent("message.finalized", "delivered"));

    await expectWebhookError(h.provider.handleWebhook({ ...request, method: "GET" }), 405);
  });
});

describe("Telnyx public key", () => {
  // RFC 8032 section 7.1, TEST 2: proves the raw 32-byte key becomes the right Ed25519 KeyObject.
  const RFC_PUBLIC_KEY = Buffer.from("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "hex").toString("base64");
  const RFC_MESSAGE = Buffer.from("72", "hex");
  const RFC_SIGNATURE = Buffer.from(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    "hex",
  );

  test("verifies the RFC 8032 test vector with a key given as Telnyx shows it", () => {
    const key = telnyxPublicKey(RFC_PUBLIC_KEY);

    expect(verify(null, RFC_MESSAGE, key, RFC_SIGNATURE)).toBe(true);
    expect(verify(null, Buffer.from("73", "hex"), key, RFC_SIGNATURE)).toBe(false);
  });
});
