import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WebhookError, type WebhookRequest } from "../../../src/providers/adapter.js";
import type { PlivoProvider } from "../../../src/providers/plivo/plivo.js";
import { plivoSignatureV2, plivoSignatureV3, signatureHeaderMatches } from "../../../src/providers/plivo/signature.js";
import { StandInServer } from "../support/stand-in-server.js";
import {
  AUTH_ID,
  CALLBACK_URL,
  callFields,
  MESSAGE_UUID,
  messageStatusFields,
  NOW,
  outbound,
  plivo,
  REQUEST_UUID,
  signedCallback,
  v2SignedCallback,
} from "./plivo-fixtures.js";

const ANSWER_URL = `${CALLBACK_URL}?event=answer`;
const HANGUP_URL = `${CALLBACK_URL}?event=hangup`;

async function refused(adapter: PlivoProvider, request: WebhookRequest): Promise<WebhookError> {
  const error = await adapter.handleWebhook(request).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe("plivo signatures", () => {
  it("computes V2 for the vector in Plivo's SDK tests (https://answer.url, nonce 12345, token my_auth_token)", () => {
    expect(plivoSignatureV2("https://answer.url", "12345", "my_auth_token")).toBe("ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=");
  });

  it("computes V2 over the URL without its query", () => {
    expect(plivoSignatureV2("https://answer.url?x=1", "12345", "my_auth_token")).toBe("ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=");
  });

  it("signs a POST as URL, '?', sorted query, '.', sorted name+value pairs, '.', nonce", () => {
    const params = new URLSearchParams({ To: "14157654321", CallUUID: "abc", From: "14151234567" });
    const expected = createHmac("sha256", "token").update("https://example.com/abcd?foo=bar.CallUUIDabcFrom14151234567To14157654321.nonce-1").digest("base64");

    expect(plivoSignatureV3("POST", "https://example.com/abcd?foo=bar", params, "nonce-1", "token")).toBe(expected);
  });

  it("signs a POST to a URL without a query as URL, '?', sorted pairs, '.', nonce", () => {
    const params = new URLSearchParams({ b: "2", a: "1" });
    const expected = createHmac("sha256", "token").update("https://example.com/abcd?a1b2.nonce-1").digest("base64");

    expect(plivoSignatureV3("POST", "https://example.com/abcd", params, "nonce-1", "token")).toBe(expected);
  });

  it("signs a GET as URL with every parameter in the sorted query, '.', nonce", () => {
    const expected = createHmac("sha256", "token").update("https://example.com/abcd?a=1&foo=bar.nonce-1").digest("base64");

    expect(plivoSignatureV3("GET", "https://example.com/abcd?foo=bar", new URLSearchParams({ a: "1" }), "nonce-1", "token")).toBe(expected);
  });

  it("matches any of the comma-separated signatures Plivo sends while a token is rotated", () => {
    expect(signatureHeaderMatches("c29tZXRoaW5n,ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=", "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=")).toBe(true);
    expect(signatureHeaderMatches("c29tZXRoaW5n", "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=")).toBe(false);
  });
});

describe("plivo webhook: message status callbacks", () => {
  it("turns a V3-signed 'delivered' callback into a delivered report for the attempt", async () => {
    const result = await plivo().handleWebhook(signedCallback(messageStatusFields("delivered")));

    expect(result.reports).toEqual([
      {
        provider: "plivo-main",
        state: "delivered",
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: MESSAGE_UUID,
        providerStatus: "delivered",
        at: NOW,
      },
    ]);
  });

  it("accepts a message callback signed only with V2, as Plivo's messaging docs describe", async () => {
    const result = await plivo().handleWebhook(v2SignedCallback(messageStatusFields("delivered")));

    expect(result.reports[0]).toMatchObject({ state: "delivered", providerMessageId: MESSAGE_UUID });
  });

  it.each([
    ["undelivered", "30"],
    ["failed", "900"],
  ])("reports '%s' with ErrorCode %s as undelivered", async (status, errorCode) => {
    const result = await plivo().handleWebhook(signedCallback(messageStatusFields(status, { ErrorCode: errorCode })));

    expect(result.reports[0]).toMatchObject({ state: "undelivered", providerStatus: status, error: `${status}: error ${errorCode}` });
  });

  it.each(["queued", "sent"])("reports '%s' as intermediate", async (status) => {
    const result = await plivo().handleWebhook(signedCallback(messageStatusFields(status)));

    expect(result.reports[0]).toMatchObject({ state: "intermediate", providerStatus: status });
  });

  it("maps out-of-order callbacks each on its own: a late 'sent' after 'delivered' is only intermediate", async () => {
    const adapter = plivo();

    const delivered = await adapter.handleWebhook(signedCallback(messageStatusFields("delivered")));
    const lateSent = await adapter.handleWebhook(signedCallback(messageStatusFields("sent"), { nonce: "31415926535897932384" }));

    expect(delivered.reports[0]).toMatchObject({ state: "delivered" });
    expect(lateSent.reports[0]).toMatchObject({ state: "intermediate", providerStatus: "sent" });
  });

  it("returns the same report for a duplicate callback", async () => {
    const adapter = plivo();
    const request = signedCallback(messageStatusFields("delivered"));

    const first = await adapter.handleWebhook(request);
    const second = await adapter.handleWebhook(request);

    expect(second.reports).toEqual(first.reports);
  });

  it("refuses a forged V3 signature with 403", async () => {
    expect((await refused(plivo(), signedCallback(messageStatusFields("delivered"), { token: "not-the-token" }))).status).toBe(403);
  });

  it("refuses a forged V2 signature with 403", async () => {
    expect((await refused(plivo(), v2SignedCallback(messageStatusFields("delivered"), { token: "not-the-token" }))).status).toBe(403);
  });

  it("refuses a genuine V3 signature over an altered body with 403", async () => {
    const genuine = signedCallback(messageStatusFields("undelivered", { ErrorCode: "30" }));

    const error = await refused(plivo(), { ...genuine, body: Buffer.from(new URLSearchParams(messageStatusFields("delivered")).toString()) });

    expect(error.status).toBe(403);
  });

  it("refuses a callback without signature headers with 403", async () => {
    const request = signedCallback(messageStatusFields("delivered"));

    expect((await refused(plivo(), { ...request, headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(403);
  });

  it("refuses a signed callback without MessageUUID with 400", async () => {
    const { MessageUUID: _removed, ...fields } = messageStatusFields("delivered");

    expect((await refused(plivo(), signedCallback(fields))).status).toBe(400);
  });

  it("refuses a JSON callback with 415", async () => {
    const request = signedCallback(messageStatusFields("delivered"));

    expect((await refused(plivo(), { ...request, headers: { ...request.headers, "content-type": "application/json" } })).status).toBe(415);
  });

  it("refuses a GET with 405", async () => {
    expect((await refused(plivo(), { ...signedCallback(messageStatusFields("delivered")), method: "GET" })).status).toBe(405);
  });
});

describe("plivo webhook: calls", () => {
  const CALL_PATH = `/v1/Account/${AUTH_ID}/Call/`;
  let api: StandInServer;
  let adapter: PlivoProvider;

  beforeAll(async () => {
    api = await StandInServer.start();
    api.route("POST", CALL_PATH, { status: 201, body: { api_id: "97ceeb52", message: "call fired", request_uuid: REQUEST_UUID } });
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(async () => {
    adapter = plivo({ base_url: api.url, voice: { answer_ttl: "200ms" } });
    await adapter.send(outbound({ channel: "voice", body: "Your code is: 4, 8, 2, 9, 1, 3. Again: 4, 8, 2, 9, 1, 3." }), new AbortController().signal);
  });
  afterEach(() => adapter.close());

  it("refuses an answer request signed only with V2 with 403, because V2 covers neither the query nor the body", async () => {
    const error = await refused(adapter, v2SignedCallback(callFields("in-progress"), { url: ANSWER_URL }));

    expect(error.status).toBe(403);
  });

  it("refuses an answer request with a forged signature with 403 and reveals nothing", async () => {
    const error = await refused(adapter, signedCallback(callFields("in-progress"), { url: ANSWER_URL, token: "guess" }));

    expect(error.status).toBe(403);
    expect(error.message).not.toContain("4, 8, 2");
  });

  it("refuses a genuine answer signature presented at the hang-up URL with 403", async () => {
    const answer = signedCallback(callFields("completed"), { url: ANSWER_URL });

    expect((await refused(adapter, { ...answer, url: HANGUP_URL })).status).toBe(403);
  });

  it.each([
    ["completed", "delivered", undefined],
    ["no-answer", "undelivered", "no-answer: NO_ANSWER"],
    ["busy", "undelivered", "busy: USER_BUSY"],
    ["failed", "undelivered", "failed: CALL_REJECTED"],
    ["timeout", "undelivered", "timeout: RECOVERY_ON_TIMER_EXPIRE"],
  ])("maps a hang-up with CallStatus '%s' to %s", async (status, state, error) => {
    const cause = { completed: "NORMAL_CLEARING", "no-answer": "NO_ANSWER", busy: "USER_BUSY", failed: "CALL_REJECTED", timeout: "RECOVERY_ON_TIMER_EXPIRE" }[
      status
    ]!;

    const result = await adapter.handleWebhook(signedCallback(callFields(status, { HangupCause: cause, Duration: "9" }), { url: HANGUP_URL }));

    expect(result.reports).toEqual([
      {
        provider: "plivo-main",
        state,
        reference: { verificationId: "ver_abc123", attemptNumber: 1 },
        providerMessageId: REQUEST_UUID,
        providerStatus: status,
        ...(error && { error }),
        at: NOW,
      },
    ]);
  });

  it("forgets the call's XML at hang-up, so a later answer request only gets a hang-up", async () => {
    await adapter.handleWebhook(signedCallback(callFields("completed", { HangupCause: "NORMAL_CLEARING" }), { url: HANGUP_URL }));

    const answer = await adapter.handleWebhook(signedCallback(callFields("in-progress"), { url: ANSWER_URL }));

    expect(answer.body).toContain("<Hangup/>");
    expect(answer.body).not.toContain("4, 8, 2");
  });

  it("forgets the call's XML once answer_ttl passes", async () => {
    await sleep(300);

    const answer = await adapter.handleWebhook(signedCallback(callFields("in-progress"), { url: ANSWER_URL }));

    expect(answer.body).toContain("<Hangup/>");
  });

  it("answers with a hang-up for an attempt this process never called", async () => {
    const url = "https://verifyd.example.com/webhooks/plivo-main/ver_other/3?event=answer";

    const answer = await adapter.handleWebhook(signedCallback(callFields("in-progress"), { url }));

    expect(answer.body).toContain("<Hangup/>");
    expect(answer.reports).toEqual([]);
  });

  it("refuses a signed hang-up without CallStatus with 400", async () => {
    const { CallStatus: _removed, ...fields } = callFields("completed");

    expect((await refused(adapter, signedCallback(fields, { url: HANGUP_URL }))).status).toBe(400);
  });
});
