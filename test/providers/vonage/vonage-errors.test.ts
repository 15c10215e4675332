import { describe, expect, it } from "vitest";
import { ProviderError, type ProviderErrorKind } from "../../../src/providers/adapter.js";
import { refusal, useStandInServer } from "../support/adapter-harness.js";
import type { StandInServer } from "../support/stand-in-server.js";
import { outbound, vonage } from "./vonage-fixtures.js";

let api: StandInServer;

useStandInServer((started) => (api = started), { reset: true });

/** The SMS API refuses with HTTP 200 and a non-zero status on the message. */
function refusedSms(status: string, errorText: string) {
  return { body: { "message-count": "1", messages: [{ status, "error-text": errorText }] } };
}

describe("vonage send: documented SMS API statuses map to the error kinds", () => {
  const cases: Array<[string, string, ProviderErrorKind]> = [
    ["1", "Throttled", "rate_limited"],
    ["2", "Missing to param", "invalid_number"],
    ["2", "Missing from param", "unavailable"],
    ["3", "Invalid to address", "invalid_number"],
    ["3", "Invalid Message type", "unavailable"],
    ["4", "Bad Credentials", "auth"],
    ["5", "Internal Error", "unavailable"],
    ["6", "Unroutable message - rejected", "no_route"],
    ["7", "Number barred", "invalid_number"],
    ["8", "Partner account barred", "auth"],
    ["9", "Partner quota exceeded", "auth"],
    ["10", "Too many existing binds", "rate_limited"],
    ["11", "Account not enabled for HTTP", "auth"],
    ["12", "Message too long", "unavailable"],
    ["14", "Invalid Signature", "auth"],
    ["15", "Illegal Sender Address - rejected", "no_route"],
    ["22", "Invalid Network Code", "no_route"],
    ["23", "Invalid Callback Url", "unavailable"],
    ["29", "Non White-listed Destination - rejected", "no_route"],
    ["32", "Signature And API Secret Disallowed", "auth"],
    ["33", "Number De-activated", "invalid_number"],
  ];

  it.each(cases)("status %s (%s) is %s", async (status, errorText, kind) => {
    api.route("POST", "/sms/json", refusedSms(status, errorText));

    const error = await refusal(vonage({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(error.kind).toBe(kind);
    expect(error.message).toContain(`status ${status}`);
  });

  it("fails the send when one part of a long message is refused, with that part's status", async () => {
    api.route("POST", "/sms/json", {
      body: {
        "message-count": "2",
        messages: [
          { to: "447700900000", "message-id": "0C000000217B7F02", status: "0" },
          { status: "1", "error-text": "Throttled" },
        ],
      },
    });

    const error = await refusal(vonage({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(error.kind).toBe("rate_limited");
  });

  it.each([
    [401, "auth"],
    [429, "rate_limited"],
    [500, "unavailable"],
  ] as const)("an HTTP %i from the SMS API is %s", async (status, kind) => {
    api.route("POST", "/sms/json", { status, body: "" });

    const error = await refusal(vonage({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(error.kind).toBe(kind);
  });

  it("never carries the code into the error text", async () => {
    api.route("POST", "/sms/json", refusedSms("3", "Invalid text: Acme: your verification code is 482913"));

    const error = await refusal(vonage({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(error.message).not.toContain("482913");
  });
});

describe("vonage send: Voice API refusals map to the error kinds", () => {
  const problem = (type: string, title: string, extra: Record<string, unknown> = {}) => ({
    type: `https://developer.nexmo.com/api-errors#${type}`,
    title,
    detail: title,
    instance: "bf0ca0bf927b3b52e3cb03217e1a1ddf",
    ...extra,
  });

  it.each([
    [401, "unauthorized", "auth", {}],
    [403, "forbidden", "auth", {}],
    [402, "low-balance", "auth", {}],
    [400, "invalid-params about to", "invalid_number", { invalid_parameters: [{ name: "to[0].number", reason: "Invalid phone number" }] }],
    [400, "invalid-params about the NCCO", "unavailable", { invalid_parameters: [{ name: "ncco", reason: "Invalid NCCO" }] }],
    [429, "rate-limit", "rate_limited", {}],
    [503, "internal-error", "unavailable", {}],
  ] as const)("HTTP %i with error type %s is %s", async (status, label, kind, extra) => {
    const type = label.split(" ")[0]!;
    api.route("POST", "/v1/calls", { status, body: problem(type, type, extra), headers: { "content-type": "application/problem+json" } });

    const error = await refusal(vonage({}, { base_url: api.url }).send(outbound({ channel: "voice" }), new AbortController().signal));

    expect(error.kind).toBe(kind);
  });
});

describe("vonage send: transport", () => {
  it("stops when the caller's signal aborts", async () => {
    api.route("POST", "/sms/json", { hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new ProviderError("unavailable", "timed out", "vonage-main")), 50);

    const error = await refusal(vonage({ base_url: api.url }).send(outbound(), controller.signal));

    expect(error.message).toBe("timed out");
  });
});
