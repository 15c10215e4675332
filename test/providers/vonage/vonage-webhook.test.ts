import { describe, expect, it } from "vitest";
import { WebhookError, type WebhookRequest } from "../../../src/providers/adapter.js";
import type { VonageSignatureMethod } from "../../../src/providers/vonage/config.js";
import { isVonageSignature, vonageSignature } from "../../../src/providers/vonage/signature.js";
import type { VonageProvider } from "../../../src/providers/vonage/vonage.js";
import { CALL_UUID, CALLBACK_URL, callEvent, callEventFields, formReceipt, NOW, receiptFields, SIGNATURE_SECRET, vonage } from "./vonage-fixtures.js";

/**
 * The signed-webhook vectors Vonage ships with its Node SDK's tests
 * (packages/sms/__tests__/__dataSets__/signature.ts): one inbound message's
 * parameters, secret "my_secret_key_for_testing", one signature per method.
 */
const SDK_PARAMS = {
  "message-timestamp": "2013-11-21 15:27:30",
  messageId: "020000001B0FE827",
  msisdn: "14843472194",
  text: "Test again",
  timestamp: "1385047698",
  to: "13239877404",
  type: "text",
};
const SDK_VECTORS: Array<[VonageSignatureMethod, string]> = [
  ["md5hash", "d2e7b1dc968737c5998ad624e02f90b7"],
  ["md5hmac", "DDEBD46008C2D4E93CCE578A332A52D5"],
  ["sha1hmac", "27D0D05C2876C7CB1720DBCDBA4D492E1E55C09A"],
  ["sha256hmac", "DDB8397C2B90AAC7F3882D306475C9A5058C92322EEF43C92B298B6E0FC0D330"],
  ["sha512hmac", "E0D3C650F8C9D1A5C174D10DDDBFB003E561F59B265616208B0487C5D819481CD3C311D59CF6165ECD1139622D5BA3A256C0D763AC4A9AD9144B5A426B94FE82"],
];

async function refused(adapter: VonageProvider, request: WebhookRequest): Promise<WebhookError> {
  const error = await adapter.handleWebhook(request).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe("vonage signature: the SDK's published vectors", () => {
  it.each(SDK_VECTORS)("computes the %s signature", (method, signature) => {
    expect(vonageSignature(SDK_PARAMS, "my_secret_key_for_testing", method).toUpperCase()).toBe(signature.toUpperCase());
  });

  it.each(SDK_VECTORS)("accepts the %s signature in either letter case and leaves sig itself out of the signed string", (method, signature) => {
    const params = { ...SDK_PARAMS, sig: signature };

    expect(isVonageSignature(params, signature.toLowerCase(), "my_secret_key_for_testing", method)).toBe(true);
    expect(isVonageSignature(params, signature.toUpperCase(), "my_secret_key_for_testing", method)).toBe(true);
  });

  it("replaces '&' and '=' in values with '_' before signing, as the guide says", () => {
    expect(vonageSignature({ text: "a&b=c" }, "s", "md5hash")).toBe(vonageSignature({ text: "a_b_c" }, "s", "md5hash"));
  });

  it("rejects the vector once a value or the secret changes", () => {
    const [method, signature] = SDK_VECTORS[3]!;

    expect(isVonageSignature({ ...SDK_PARAMS, text: "Test once more" }, signature, "my_secret_key_for_testing", method)).toBe(false);
    expect(isVonageSignature(SDK_PARAMS, signature, "another_secret", method)).toBe(false);
  });
});

describe("vonage webhook: SMS delivery receipts", () => {
  it("turns a signed POST form receipt with status delivered into a delivered report for the attempt", async () => {
    const result = await vonage().handleWebhook(formReceipt(receiptFields("delivered")));

    expect(result.reports).toEqual([
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

  it("reads a receipt sent as GET with the fields in the query string", async () => {
    const query = new URLSearchParams(receiptFields("delivered")).toString();

    const result = await vonage().handleWebhook({ method: "GET", url: `${CALLBACK_URL}?${query}`, subpath: "/ver_abc123/1", headers: {}, body: Buffer.alloc(0) });

    expect(result.reports[0]).toMatchObject({ state: "delivered", providerMessageId: "0A0000001234567B" });
  });

  it("reads a receipt sent as POST-JSON", async () => {
    const body = JSON.stringify(receiptFields("delivered"));

    const result = await vonage().handleWebhook({
      method: "POST",
      url: CALLBACK_URL,
      subpath: "/ver_abc123/1",
      headers: { "content-type": "application/json" },
      body: Buffer.from(body),
    });

    expect(result.reports[0]).toMatchObject({ state: "delivered", providerMessageId: "0A0000001234567B" });
  });

  it("verifies with the md5hash method when the account uses Vonage's default", async () => {
    const fields = receiptFields("delivered");
    const { sig: _sha256, ...unsigned } = fields;
    const md5Signed = { ...unsigned, sig: vonageSignature(unsigned, SIGNATURE_SECRET, "md5hash") };

    const result = await vonage({ signature_method: "md5hash" }).handleWebhook(formReceipt(md5Signed));

    expect(result.reports[0]).toMatchObject({ state: "delivered" });
  });

  it.each(["expired", "failed", "rejected"])("reports '%s' as undelivered with its err-code", async (status) => {
    const result = await vonage().handleWebhook(formReceipt(receiptFields(status, { "err-code": "6" })));

    expect(result.reports[0]).toMatchObject({ state: "undelivered", providerStatus: status, error: `${status}: err-code 6` });
  });

  it.each(["accepted", "buffered", "unknown"])("reports '%s' as intermediate", async (status) => {
    const result = await vonage().handleWebhook(formReceipt(receiptFields(status)));

    expect(result.reports[0]).toMatchObject({ state: "intermediate", providerStatus: status });
  });

  it("maps out-of-order receipts each on its own: a late 'accepted' after 'delivered' is only intermediate", async () => {
    const adapter = vonage();

    const delivered = await adapter.handleWebhook(formReceipt(receiptFields("delivered")));
    const lateAccepted = await adapter.handleWebhook(formReceipt(receiptFields("accepted", {}, NOW / 1000 - 5)));

    expect(delivered.reports[0]).toMatchObject({ state: "delivered" });
    expect(lateAccepted.reports[0]).toMatchObject({ state: "intermediate", providerStatus: "accepted" });
  });

  it("returns the same report for a duplicate receipt inside the window", async () => {
    const adapter = vonage();
    const request = formReceipt(receiptFields("delivered"));

    const first = await adapter.handleWebhook(request);
    const second = await adapter.handleWebhook(request);

    expect(second.reports).toEqual(first.reports);
  });

  it("refuses a forged sig with 403", async () => {
    const fields = { ...receiptFields("delivered"), sig: "0".repeat(64) };

    expect((await refused(vonage(), formReceipt(fields))).status).toBe(403);
  });

  it("refuses a receipt without sig with 403", async () => {
    const { sig: _removed, ...unsigned } = receiptFields("delivered");

    expect((await refused(vonage(), formReceipt(unsigned))).status).toBe(403);
  });

  it("refuses a genuine signature over an altered status with 403", async () => {
    const fields = { ...receiptFields("failed"), status: "delivered" };

    expect((await refused(vonage(), formReceipt(fields))).status).toBe(403);
  });

  it("refuses a replay signed outside the replay window with 403", async () => {
    const sixMinutesAgo = NOW / 1000 - 6 * 60;

    expect((await refused(vonage(), formReceipt(receiptFields("delivered", {}, sixMinutesAgo)))).status).toBe(403);
  });

  it("refuses a receipt dated in the future beyond the window with 403", async () => {
    expect((await refused(vonage(), formReceipt(receiptFields("delivered", {}, NOW / 1000 + 600)))).status).toBe(403);
  });

  it("refuses every receipt with 403 when no signature secret is configured", async () => {
    expect((await refused(vonage({ signature_secret: undefined }), formReceipt(receiptFields("delivered")))).status).toBe(403);
  });

  it("refuses a signed receipt without messageId with 400", async () => {
    const fields = receiptFields("delivered");
    const { messageId: _removed, sig: _sig, ...rest } = fields;
    const resigned = { ...rest, sig: vonageSignature(rest, SIGNATURE_SECRET, "sha256hmac") };

    expect((await refused(vonage(), formReceipt(resigned))).status).toBe(400);
  });

  it("refuses a JSON receipt that is not JSON with 400", async () => {
    const request = { ...formReceipt(receiptFields("delivered")), headers: { "content-type": "application/json" }, body: Buffer.from("{not json") };

    expect((await refused(vonage(), request)).status).toBe(400);
  });

  it("refuses a receipt in another content type with 415", async () => {
    const request = { ...formReceipt(receiptFields("delivered")), headers: { "content-type": "text/xml" } };

    expect((await refused(vonage(), request)).status).toBe(415);
  });
});

describe("vonage webhook: signed call events", () => {
  it("turns a signed 'completed' event into a delivered report for the call", async () => {
    const result = await vonage().handleWebhook(callEvent(callEventFields("completed", { duration: "12" })));

    expect(result.reports).toEqual([
      {
        provider: "vonage-main",
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: CALL_UUID,
        providerStatus: "completed",
        at: NOW,
      },
    ]);
  });

  it.each([
    ["started", "intermediate"],
    ["ringing", "intermediate"],
    ["answered", "intermediate"],
    ["busy", "undelivered"],
    ["unanswered", "undelivered"],
    ["timeout", "undelivered"],
    ["rejected", "undelivered"],
    ["failed", "undelivered"],
    ["cancelled", "undelivered"],
  ])("maps '%s' to %s", async (status, state) => {
    const result = await vonage().handleWebhook(callEvent(callEventFields(status)));

    expect(result.reports[0]).toMatchObject({ state, providerStatus: status });
  });

  it("treats a completed call that lasted no time as undelivered", async () => {
    const result = await vonage().handleWebhook(callEvent(callEventFields("completed", { duration: "0" })));

    expect(result.reports[0]).toMatchObject({ state: "undelivered", providerStatus: "completed" });
  });

  it("reports nothing for events that say nothing about delivery", async () => {
    const result = await vonage().handleWebhook(callEvent(callEventFields("human")));

    expect(result.reports).toEqual([]);
  });

  it("refuses a token signed with another secret with 403", async () => {
    expect((await refused(vonage(), callEvent(callEventFields("completed"), { secret: "someone-else" }))).status).toBe(403);
  });

  it("refuses a token that names an algorithm other than HS256 with 403", async () => {
    expect((await refused(vonage(), callEvent(callEventFields("completed"), { alg: "none" }))).status).toBe(403);
  });

  it("refuses a genuine token replayed over another body with 403, since payload_hash no longer matches", async () => {
    const forgedBody = JSON.stringify(callEventFields("completed", { duration: "30" }));

    expect((await refused(vonage(), callEvent(callEventFields("unanswered"), { body: forgedBody }))).status).toBe(403);
  });

  it("refuses a token issued outside the replay window with 403", async () => {
    expect((await refused(vonage(), callEvent(callEventFields("completed"), { iatSeconds: NOW / 1000 - 600 }))).status).toBe(403);
  });

  it("refuses a signed event without uuid with 400", async () => {
    const { uuid: _removed, ...withoutUuid } = callEventFields("completed");

    expect((await refused(vonage(), callEvent(withoutUuid))).status).toBe(400);
  });

  it("refuses a call event that is not JSON with 415", async () => {
    const request = callEvent(callEventFields("completed"));

    expect((await refused(vonage(), { ...request, headers: { ...request.headers, "content-type": "application/x-www-form-urlencoded" } })).status).toBe(415);
  });
});
