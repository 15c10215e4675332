import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { PlivoProvider } from "../../../src/providers/plivo/plivo.js";
import { useStandInServer } from "../support/adapter-harness.js";
import type { StandInServer } from "../support/stand-in-server.js";
import { AUTH_ID, AUTH_TOKEN, CALLBACK_URL, callFields, outbound, plivo, REQUEST_UUID, signedCallback } from "./plivo-fixtures.js";

const MESSAGE_PATH = `/v1/Account/${AUTH_ID}/Message/`;
const CALL_PATH = `/v1/Account/${AUTH_ID}/Call/`;
const BASIC = `Basic ${Buffer.from(`${AUTH_ID}:${AUTH_TOKEN}`).toString("base64")}`;

let api: StandInServer;
const adapters: PlivoProvider[] = [];

function adapter(overrides: Record<string, unknown> = {}): PlivoProvider {
  const created = plivo({ base_url: api.url, ...overrides });
  adapters.push(created);
  return created;
}

useStandInServer((started) => (api = started));
beforeEach(() => {
  api.reset();
  // The Message API's documented success response.
  api.route("POST", MESSAGE_PATH, {
    status: 202,
    body: { api_id: "db342550-7f1d-11e1-8ea7-1231380bc196", message: "message(s) queued", message_uuid: ["db3ce55a-7f1d-11e1-8ea7-1231380bc196"] },
  });
  api.route("POST", CALL_PATH, { status: 201, body: { api_id: "97ceeb52-58b6-11e1-86da-77300b68f8bb", message: "call fired", request_uuid: REQUEST_UUID } });
});
afterEach(() => {
  for (const created of adapters.splice(0)) created.close();
});

describe("plivo send: SMS", () => {
  it("posts src, dst, text, type and the callback url with method POST as JSON, Basic-authenticated with the auth ID and token", async () => {
    const result = await adapter().send(outbound(), new AbortController().signal);

    expect(result).toEqual({ providerMessageId: "db3ce55a-7f1d-11e1-8ea7-1231380bc196" });
    const request = api.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe(MESSAGE_PATH);
    expect(request.headers.authorization).toBe(BASIC);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.json).toEqual({
      src: "14151234567",
      dst: "14157654321",
      text: "Acme: your verification code is 482913. It expires in 10 minutes.",
      type: "sms",
      url: CALLBACK_URL,
      method: "POST",
    });
  });

  it("sends from the Powerpack instead of src when powerpack_uuid is configured", async () => {
    await adapter({ from: undefined, powerpack_uuid: "d35f2e82-d387-427f-8594-6fa07613c43a", channels: ["sms"] }).send(outbound(), new AbortController().signal);

    expect(api.requests[0]!.json).toMatchObject({ powerpack_uuid: "d35f2e82-d387-427f-8594-6fa07613c43a" });
    expect(api.requests[0]!.json).not.toHaveProperty("src");
  });

  it("asks for no status callback when the attempt has no callback URL", async () => {
    await adapter().send(outbound({ callbackUrl: "" }), new AbortController().signal);

    expect(api.requests[0]!.json).not.toHaveProperty("url");
  });
});

describe("plivo send: voice", () => {
  const voiceBody = "Your Acme verification code is: 4, 8, 2, 9, 1, 3. Again: 4, 8, 2, 9, 1, 3.";

  it("places a call whose answer and hang-up URLs are the attempt's callback URL, with no code in them", async () => {
    const result = await adapter().send(outbound({ channel: "voice", body: voiceBody }), new AbortController().signal);

    expect(result).toEqual({ providerMessageId: REQUEST_UUID });
    const request = api.requests[0]!;
    expect(request.path).toBe(CALL_PATH);
    expect(request.headers.authorization).toBe(BASIC);
    expect(request.json).toEqual({
      from: "14151234567",
      to: "14157654321",
      answer_url: `${CALLBACK_URL}?event=answer`,
      answer_method: "POST",
      hangup_url: `${CALLBACK_URL}?event=hangup`,
      hangup_method: "POST",
    });
    expect(request.text).not.toContain("4, 8, 2, 9, 1, 3");
  });

  it("answers Plivo's signed answer request with Speak XML that reads the code digit by digit twice", async () => {
    const provider = adapter();
    await provider.send(outbound({ channel: "voice", body: voiceBody }), new AbortController().signal);

    const answer = await provider.handleWebhook(signedCallback(callFields("in-progress"), { url: `${CALLBACK_URL}?event=answer` }));

    expect(answer.contentType).toBe("application/xml");
    expect(answer.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Wait length="1"/>' +
        '<Speak voice="WOMAN" language="en-US">Your Acme verification code is:</Speak>' +
        '<Wait length="1"/><Speak voice="WOMAN" language="en-US">4, 8, 2, 9, 1, 3.</Speak><Wait length="1"/>' +
        '<Speak voice="WOMAN" language="en-US">Again:</Speak>' +
        '<Wait length="1"/><Speak voice="WOMAN" language="en-US">4, 8, 2, 9, 1, 3.</Speak><Wait length="1"/>' +
        "</Response>",
    );
    expect(answer.reports).toEqual([expect.objectContaining({ state: "intermediate", providerStatus: "in-progress", providerMessageId: REQUEST_UUID })]);
  });

  it("calls from voice.from with the configured voice and the locale's language", async () => {
    const provider = adapter({ voice: { from: "+14150000000", voice: "Polly.Vicki" } });
    await provider.send(
      outbound({ channel: "voice", locale: "de", body: "Ihr Acme Bestätigungscode lautet: 4, 8, 2, 9, 1, 3. Noch einmal: 4, 8, 2, 9, 1, 3." }),
      new AbortController().signal,
    );

    const answer = await provider.handleWebhook(signedCallback(callFields("in-progress"), { url: `${CALLBACK_URL}?event=answer` }));

    expect(api.requests[0]!.json).toMatchObject({ from: "14150000000" });
    expect(answer.body).toContain('<Speak voice="Polly.Vicki" language="de-DE">4, 8, 2, 9, 1, 3.</Speak>');
  });

  it("refuses voice without a callback URL, since Plivo would have nowhere to fetch the call's XML", async () => {
    await expect(adapter().send(outbound({ channel: "voice", callbackUrl: "" }), new AbortController().signal)).rejects.toMatchObject({
      kind: "unavailable",
    });
    expect(api.requests).toHaveLength(0);
  });
});
