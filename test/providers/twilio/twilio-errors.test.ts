import { describe, expect, it } from "vitest";
import { ProviderError, type ProviderErrorKind } from "../../../src/providers/adapter.js";
import { refusal, useStandInServer } from "../support/adapter-harness.js";
import { StandInServer } from "../support/stand-in-server.js";
import { ACCOUNT_SID, outbound, twilio } from "./twilio-fixtures.js";

const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
const CALLS_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`;

let api: StandInServer;

useStandInServer((started) => (api = started), { reset: true });

/** Twilio's JSON error body for a refused request. */
function twilioError(status: number, code: number, message: string) {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

describe("twilio send: documented rejections map to the error kinds", () => {
  const cases: Array<[number, number, string, ProviderErrorKind]> = [
    [400, 21211, "The 'To' number +1415555 is not a valid phone number.", "invalid_number"],
    [400, 21614, "'To' number is not a valid mobile number", "invalid_number"],
    [400, 21610, "Attempt to send to unsubscribed recipient", "invalid_number"],
    [400, 21635, "'To' number cannot be a landline", "invalid_number"],
    [400, 21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number", "no_route"],
    [400, 21606, "The 'From' phone number provided is not a valid message-capable Twilio phone number for this destination.", "no_route"],
    [400, 21612, "The 'To' phone number is not currently reachable via SMS", "no_route"],
    [400, 21659, "'From' is not a Twilio phone number or Short Code country mismatch", "no_route"],
    [400, 21608, "The 'to' phone number provided is not yet verified for this account.", "no_route"],
    [401, 20003, "Authenticate", "auth"],
    [429, 20429, "Too Many Requests", "rate_limited"],
    [400, 21611, "This 'From' number has exceeded the maximum number of queued messages", "rate_limited"],
    [500, 20500, "Internal Server Error", "unavailable"],
    [503, 20503, "Service unavailable", "unavailable"],
  ];

  it.each(cases)("HTTP %i with error %i (%s) is %s", async (status, code, message, kind) => {
    api.route("POST", MESSAGES_PATH, twilioError(status, code, message));

    const error = await refusal(twilio({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(error.kind).toBe(kind);
    expect(error.provider).toBe("twilio-main");
    expect(error.message).toContain(`error ${code}`);
  });

  it.each([
    [21211, "invalid_number"],
    [21217, "invalid_number"],
    [21215, "no_route"],
    [21210, "auth"],
  ] as const)("a refused call with error %i is %s", async (code, kind) => {
    api.route("POST", CALLS_PATH, twilioError(400, code, "refused"));

    const error = await refusal(twilio({ base_url: api.url }).send(outbound({ channel: "voice" }), new AbortController().signal));

    expect(error.kind).toBe(kind);
  });

  it("falls back to the HTTP status when the body has no Twilio error code", async () => {
    api.route("POST", MESSAGES_PATH, { status: 502, body: "<html>Bad Gateway</html>", headers: { "content-type": "text/html" } });

    const error = await refusal(twilio({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(error.kind).toBe("unavailable");
  });

  it("treats a 2xx answer without a sid as unavailable rather than inventing a message id", async () => {
    api.route("POST", MESSAGES_PATH, { status: 201, body: { status: "queued" } });

    const error = await refusal(twilio({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(error.kind).toBe("unavailable");
  });

  it("never carries the code into the error, even when Twilio echoes the body back", async () => {
    api.route("POST", MESSAGES_PATH, twilioError(400, 21617, "The concatenated message body 'Acme: your verification code is 482913.' exceeds the limit"));

    const error = await refusal(twilio({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(error.message).not.toContain("482913");
    expect(error.message).toContain("[code]");
  });
});

describe("twilio send: transport failures", () => {
  it("is unavailable when Twilio cannot be reached", async () => {
    const closed = await StandInServer.start();
    const url = closed.url;
    await closed.close();

    const error = await refusal(twilio({ base_url: url }).send(outbound(), new AbortController().signal));

    expect(error.kind).toBe("unavailable");
  });

  it("stops waiting when the caller's signal aborts, with the caller's reason", async () => {
    api.route("POST", MESSAGES_PATH, { hang: true });
    const controller = new AbortController();
    const reason = new ProviderError("unavailable", "timed out after 50ms", "twilio-main");
    setTimeout(() => controller.abort(reason), 50);

    const started = Date.now();
    const error = await refusal(twilio({ base_url: api.url }).send(outbound(), controller.signal));

    expect(error).toBe(reason);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
