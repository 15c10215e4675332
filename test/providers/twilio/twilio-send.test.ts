import { beforeEach, describe, expect, it } from "vitest";
import { useStandInServer } from "../support/adapter-harness.js";
import type { StandInServer } from "../support/stand-in-server.js";
import { ACCOUNT_SID, AUTH_TOKEN, CALLBACK_URL, outbound, twilio } from "./twilio-fixtures.js";

const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
const CALLS_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`;
const BASIC = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString("base64")}`;

/** Twilio's 201 for a created Message, trimmed to the fields the adapter reads and a few around them. */
const CREATED_MESSAGE = {
  sid: "SM1f0e8ae6ade43cb3c0ce4525424e404f",
  account_sid: ACCOUNT_SID,
  status: "queued",
  direction: "outbound-api",
  api_version: "2010-04-01",
  error_code: null,
  error_message: null,
};

let api: StandInServer;

useStandInServer((started) => (api = started));
beforeEach(() => {
  api.reset();
  api.route("POST", MESSAGES_PATH, { status: 201, body: CREATED_MESSAGE });
  api.route("POST", CALLS_PATH, { status: 201, body: { sid: "CA5ef8732a3c49700934481addd5ce1659", status: "queued" } });
});

function form(index = 0): URLSearchParams {
  return new URLSearchParams(api.requests[index]!.text);
}

describe("twilio send: SMS", () => {
  it("posts a form-encoded Message with To, From, Body and StatusCallback, Basic-authenticated with the account SID and auth token", async () => {
    const result = await twilio({ base_url: api.url }).send(outbound(), new AbortController().signal);

    expect(result).toEqual({ providerMessageId: "SM1f0e8ae6ade43cb3c0ce4525424e404f" });
    expect(api.requests).toHaveLength(1);
    const request = api.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe(MESSAGES_PATH);
    expect(request.headers.authorization).toBe(BASIC);
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(form())).toEqual({
      To: "+14155550123",
      From: "+15005550006",
      Body: "Acme: your verification code is 482913. It expires in 10 minutes.",
      StatusCallback: CALLBACK_URL,
    });
  });

  it("sends through the Messaging Service instead of a From number when only messaging_service_sid is configured", async () => {
    await twilio({ base_url: api.url, from: undefined, messaging_service_sid: "MG0123456789abcdef0123456789abcdef", channels: ["sms"] }).send(
      outbound(),
      new AbortController().signal,
    );

    expect(form().get("MessagingServiceSid")).toBe("MG0123456789abcdef0123456789abcdef");
    expect(form().has("From")).toBe(false);
  });

  it("leaves StatusCallback out when the attempt has no callback URL", async () => {
    await twilio({ base_url: api.url }).send(outbound({ callbackUrl: "" }), new AbortController().signal);

    expect(form().has("StatusCallback")).toBe(false);
  });

  it("joins a base_url with a path prefix and a trailing slash without doubling slashes", async () => {
    api.route("POST", `/proxy${MESSAGES_PATH}`, { status: 201, body: CREATED_MESSAGE });

    await twilio({ base_url: `${api.url}/proxy/` }).send(outbound(), new AbortController().signal);

    expect(api.requests[0]!.path).toBe(`/proxy${MESSAGES_PATH}`);
  });
});

describe("twilio send: WhatsApp", () => {
  it("addresses both ends as whatsapp:+E.164 and sends the rendered body", async () => {
    await twilio({ base_url: api.url }).send(outbound({ channel: "whatsapp" }), new AbortController().signal);

    expect(api.requests[0]!.path).toBe(MESSAGES_PATH);
    expect(form().get("To")).toBe("whatsapp:+14155550123");
    expect(form().get("From")).toBe("whatsapp:+14155238886");
    expect(form().get("Body")).toBe("Acme: your verification code is 482913. It expires in 10 minutes.");
  });

  it("sends an approved template with the code as its variable when whatsapp.content_sid is configured", async () => {
    await twilio({
      base_url: api.url,
      messaging_service_sid: "MG0123456789abcdef0123456789abcdef",
      whatsapp: { from: "+14155238886", content_sid: "HXb5b62575e6e4ff6129ad7c8efe1f983e" },
    }).send(outbound({ channel: "whatsapp" }), new AbortController().signal);

    expect(form().get("ContentSid")).toBe("HXb5b62575e6e4ff6129ad7c8efe1f983e");
    expect(JSON.parse(form().get("ContentVariables")!)).toEqual({ "1": "482913" });
    expect(form().get("MessagingServiceSid")).toBe("MG0123456789abcdef0123456789abcdef");
    expect(form().has("Body")).toBe(false);
  });
});

describe("twilio send: voice", () => {
  it("creates a Call with inline TwiML that reads the code digit by digit twice, and a StatusCallback", async () => {
    const result = await twilio({ base_url: api.url }).send(
      outbound({ channel: "voice", body: "Your Acme verification code is: 4, 8, 2, 9, 1, 3. Again: 4, 8, 2, 9, 1, 3." }),
      new AbortController().signal,
    );

    expect(result).toEqual({ providerMessageId: "CA5ef8732a3c49700934481addd5ce1659" });
    const request = api.requests[0]!;
    expect(request.path).toBe(CALLS_PATH);
    expect(request.headers.authorization).toBe(BASIC);
    expect(form().get("To")).toBe("+14155550123");
    expect(form().get("From")).toBe("+15005550006");
    expect(form().get("StatusCallback")).toBe(CALLBACK_URL);
    const twiml = form().get("Twiml")!;
    expect(twiml.match(/<Say language="en-US">4, 8, 2, 9, 1, 3\.<\/Say>/g)).toHaveLength(2);
    expect(twiml).not.toContain("482913");
  });

  it("calls from voice.from when it is configured", async () => {
    await twilio({ base_url: api.url, voice: { from: "+15005550001" } }).send(outbound({ channel: "voice" }), new AbortController().signal);

    expect(form().get("From")).toBe("+15005550001");
  });
});
