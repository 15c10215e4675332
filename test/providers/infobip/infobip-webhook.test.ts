import { describe, expect, test } from "vitest";
import { useHarness } from "../support/adapter-harness.js";
import { deliveryReport, expectWebhookError, type InfobipHarness, MESSAGE_ID, PROVIDER, result, STATUSES, startInfobip } from "./harness.js";

describe("Infobip receipts", () => {
  let h: InfobipHarness;
  useHarness(startInfobip, (started) => (h = started));

  test("turns DELIVERED_TO_HANDSET with the right token into a delivered report for the attempt in the URL", async () => {
    const response = await h.provider.handleWebhook(deliveryReport([result(STATUSES.DELIVERED_TO_HANDSET)]));

    expect(response.reports).toEqual([
      {
        provider: PROVIDER,
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: MESSAGE_ID,
        providerStatus: "DELIVERED_TO_HANDSET",
        error: undefined,
        at: Date.parse("2023-11-14T22:13:21.500Z"),
      },
    ]);
  });

  test.each([
    ["PENDING_ACCEPTED", "intermediate"],
    ["PENDING_WAITING_DELIVERY", "intermediate"],
    ["DELIVERED_TO_OPERATOR", "intermediate"],
    ["UNDELIVERABLE_NOT_DELIVERED", "undelivered"],
    ["EXPIRED_EXPIRED", "undelivered"],
    ["REJECTED_NETWORK", "undelivered"],
  ] as const)("maps status %s to %s", async (name, state) => {
    const response = await h.provider.handleWebhook(deliveryReport([result(STATUSES[name])]));

    expect(response.reports[0]).toMatchObject({ state, providerStatus: name });
  });

  test("carries the status and error names on an undelivered report", async () => {
    const error = { groupId: 1, groupName: "HANDSET_ERRORS", id: 27, name: "EC_ABSENT_SUBSCRIBER", description: "Absent Subscriber", permanent: false };

    const response = await h.provider.handleWebhook(deliveryReport([result(STATUSES.UNDELIVERABLE_NOT_DELIVERED, { error })]));

    expect(response.reports[0]).toMatchObject({ state: "undelivered", error: "UNDELIVERABLE_NOT_DELIVERED: EC_ABSENT_SUBSCRIBER" });
  });

  test("returns the same report for the same delivery report posted twice", async () => {
    const request = deliveryReport([result(STATUSES.DELIVERED_TO_HANDSET)]);

    const first = await h.provider.handleWebhook(request);
    const second = await h.provider.handleWebhook(request);

    expect(second.reports).toEqual(first.reports);
    expect(second.reports[0]).toMatchObject({ state: "delivered", providerMessageId: MESSAGE_ID });
  });

  test("maps out-of-order reports each by its own status and time", async () => {
    const delivered = await h.provider.handleWebhook(deliveryReport([result(STATUSES.DELIVERED_TO_HANDSET, { doneAt: "2023-11-14T22:13:25.000+0000" })]));
    const lateOperator = await h.provider.handleWebhook(deliveryReport([result(STATUSES.DELIVERED_TO_OPERATOR, { doneAt: "2023-11-14T22:13:22.000+0000" })]));

    expect(delivered.reports[0]).toMatchObject({ state: "delivered", at: Date.parse("2023-11-14T22:13:25.000Z") });
    expect(lateOperator.reports[0]).toMatchObject({ state: "intermediate", at: Date.parse("2023-11-14T22:13:22.000Z") });
  });
});

describe("Infobip receipt security", () => {
  let h: InfobipHarness;
  useHarness(startInfobip, (started) => (h = started));

  test("refuses a report without the token with 403", async () => {
    await expectWebhookError(h.provider.handleWebhook(deliveryReport([result(STATUSES.DELIVERED_TO_HANDSET)], { token: null })), 403);
  });

  test("refuses a report with a forged token with 403", async () => {
    await expectWebhookError(h.provider.handleWebhook(deliveryReport([result(STATUSES.DELIVERED_TO_HANDSET)], { token: "forged-token-forged-token" })), 403);
  });

  test("refuses a body that is not JSON with 400", async () => {
    await expectWebhookError(h.provider.handleWebhook(deliveryReport([], { rawBody: Buffer.from("<results/>") })), 400);
  });

  test("refuses a report whose result lacks a messageId with 400", async () => {
    const { messageId: _messageId, ...withoutId } = result(STATUSES.DELIVERED_TO_HANDSET);

    await expectWebhookError(h.provider.handleWebhook(deliveryReport([withoutId])), 400);
  });

  test("refuses a JSON object without results with 400", async () => {
    await expectWebhookError(h.provider.handleWebhook(deliveryReport([], { rawBody: Buffer.from('{"messageId":"x"}') })), 400);
  });

  test("refuses a report sent as XML with 415", async () => {
    await expectWebhookError(h.provider.handleWebhook(deliveryReport([result(STATUSES.DELIVERED_TO_HANDSET)], { contentType: "application/xml" })), 415);
  });

  test("refuses GET with 405", async () => {
    const request = deliveryReport([result(STATUSES.DELIVERED_TO_HANDSET)]);

    await expectWebhookError(h.provider.handleWebhook({ ...request, method: "GET" }), 405);
  });
});
