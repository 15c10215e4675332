import { describe, expect, test } from "vitest";
import { sinchSignatureProblem } from "../../../src/providers/sinch/signature.js";
import { useHarness } from "../support/adapter-harness.js";
import { BATCH_ID, callback, expectWebhookError, HMAC_SECRET, PROVIDER, recipientReport, type SinchHarness, startSinch } from "./harness.js";

describe("Sinch receipts", () => {
  let h: SinchHarness;
  useHarness(startSinch, (started) => (h = started));

  test("turns a Delivered recipient report with the right token into a delivered report for the attempt in the URL", async () => {
    const result = await h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0)));

    expect(result.reports).toEqual([
      {
        provider: PROVIDER,
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: BATCH_ID,
        providerStatus: "Delivered",
        error: undefined,
        at: Date.parse("2023-11-14T22:13:20.148Z"),
      },
    ]);
  });

  test.each([
    ["Queued", 400, "intermediate"],
    ["Dispatched", 401, "intermediate"],
    ["Unknown", 0, "intermediate"],
    ["Aborted", 402, "undelivered"],
    ["Rejected", 408, "undelivered"],
    ["Failed", 34, "undelivered"],
    ["Expired", 0, "undelivered"],
    ["Deleted", 0, "undelivered"],
    ["Cancelled", 407, "undelivered"],
  ] as const)("maps status %s (code %i) to %s", async (status, code, state) => {
    const result = await h.provider.handleWebhook(callback(h, recipientReport(status, code)));

    expect(result.reports[0]).toMatchObject({ state, providerStatus: status });
  });

  test("carries Sinch's status code on an undelivered report", async () => {
    const result = await h.provider.handleWebhook(callback(h, recipientReport("Aborted", 402)));

    expect(result.reports[0]).toMatchObject({ state: "undelivered", error: "402: Aborted" });
  });

  test("returns the same report for the same callback delivered twice", async () => {
    const request = callback(h, recipientReport("Delivered", 0));

    const first = await h.provider.handleWebhook(request);
    const second = await h.provider.handleWebhook(request);

    expect(second.reports).toEqual(first.reports);
    expect(second.reports[0]).toMatchObject({ state: "delivered", providerMessageId: BATCH_ID });
  });

  test("maps out-of-order callbacks each by its own status and time", async () => {
    const delivered = await h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0, "2023-11-14T22:13:25.000Z")));
    const lateDispatched = await h.provider.handleWebhook(callback(h, recipientReport("Dispatched", 401, "2023-11-14T22:13:21.000Z")));

    expect(delivered.reports[0]).toMatchObject({ state: "delivered", at: Date.parse("2023-11-14T22:13:25.000Z") });
    expect(lateDispatched.reports[0]).toMatchObject({ state: "intermediate", at: Date.parse("2023-11-14T22:13:21.000Z") });
  });

  test("answers batch summaries and inbound messages with no reports", async () => {
    const summary = { type: "delivery_report_sms", batch_id: BATCH_ID, total_message_count: 1, statuses: [{ code: 0, status: "Delivered", count: 1 }] };
    const inbound = { type: "mo_text", id: "01FC6", from: "46701234567", to: "12345", body: "STOP" };

    expect((await h.provider.handleWebhook(callback(h, summary))).reports).toEqual([]);
    expect((await h.provider.handleWebhook(callback(h, inbound))).reports).toEqual([]);
  });
});

describe("Sinch receipt security", () => {
  let h: SinchHarness;
  useHarness(startSinch, (started) => (h = started));

  test("refuses a callback without the token with 403", async () => {
    await expectWebhookError(h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0), { token: null })), 403);
  });

  test("refuses a callback with a guessed token with 403", async () => {
    await expectWebhookError(h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0), { token: "s3cr3t-callback-token-0123456780" })), 403);
  });

  test("refuses a body that is not JSON with 400", async () => {
    await expectWebhookError(h.provider.handleWebhook(callback(h, undefined, { rawBody: Buffer.from("batch_id=1") })), 400);
  });

  test("refuses a recipient report without batch_id with 400", async () => {
    const { batch_id: _batchId, ...report } = recipientReport("Delivered", 0);

    await expectWebhookError(h.provider.handleWebhook(callback(h, report)), 400);
  });

  test("refuses a callback sent as text/plain with 415", async () => {
    await expectWebhookError(h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0), { contentType: "text/plain" })), 415);
  });

  test("refuses GET with 405", async () => {
    const request = callback(h, recipientReport("Delivered", 0));

    await expectWebhookError(h.provider.handleWebhook({ ...request, method: "GET" }), 405);
  });
});

describe("Sinch signed callbacks (hmac_secret set)", () => {
  let h: SinchHarness;
  useHarness(
    () => startSinch({ hmac_secret: HMAC_SECRET }),
    (started) => (h = started),
  );

  test("accepts a callback whose HMAC-SHA256 signature and timestamp hold", async () => {
    const result = await h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0), { hmac: { secret: HMAC_SECRET } }));

    expect(result.reports[0]).toMatchObject({ state: "delivered" });
  });

  test("accepts HmacSHA512 when Sinch names it", async () => {
    const result = await h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0), { hmac: { secret: HMAC_SECRET, algorithm: "HmacSHA512" } }));

    expect(result.reports[0]).toMatchObject({ state: "delivered" });
  });

  test("refuses a callback with the token but without signature headers with 403", async () => {
    await expectWebhookError(h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0))), 403);
  });

  test("refuses a callback signed with another secret with 403", async () => {
    await expectWebhookError(h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0), { hmac: { secret: "not-the-secret" } })), 403);
  });

  test("refuses a correctly signed callback replayed after the window with 403", async () => {
    const old = String(Math.floor(h.context.now() / 1000) - 301);

    await expectWebhookError(h.provider.handleWebhook(callback(h, recipientReport("Delivered", 0), { hmac: { secret: HMAC_SECRET, timestamp: old } })), 403);
  });

  test("verifies the signature vector from Sinch's own SDK tests", () => {
    // sinch-sdk-dotnet WebhooksTests.ValidateRequest: same scheme, HMAC(secret, body.nonce.timestamp).
    const body =
      '{"app_id":"","accepted_time":"2021-10-18T17:49:13.813615Z","project_id":"e2df3a34-a71b-4448-9db5-a8d2baad28e4","contact_create_notification":{"contact":{"id":"01FJA8B466Y0R2GNXD78MD9SM1","channel_identities":[{"channel":"SMS","identity":"48123456789","app_id":""}],"display_name":"New Test Contact","email":"new.contact@email.com","external_id":"","metadata":"","language":"EN_US"}},"message_metadata":""}';
    const headers = {
      "x-sinch-webhook-signature-nonce": "01FJA8B4A7BM43YGWSG9GBV067",
      "x-sinch-webhook-signature-timestamp": "1634579353",
      "x-sinch-webhook-signature": "6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=",
    };

    expect(sinchSignatureProblem({ headers, body: Buffer.from(body) }, "foo_secret1234", 1634579353_000, 300_000)).toBeUndefined();
    expect(sinchSignatureProblem({ headers, body: Buffer.from(body.replace("New", "Old")) }, "foo_secret1234", 1634579353_000, 300_000)).toBe(
      "x-sinch-webhook-signature does not match",
    );
  });
});
