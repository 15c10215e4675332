import { describe, expect, it } from "vitest";
import { ProviderError, type ProviderErrorKind } from "../../../src/providers/adapter.js";
import { refusal, useStandInServer } from "../support/adapter-harness.js";
import type { StandInServer } from "../support/stand-in-server.js";
import { AUTH_ID, CALLBACK_URL, callFields, outbound, plivo, signedCallback } from "./plivo-fixtures.js";

const MESSAGE_PATH = `/v1/Account/${AUTH_ID}/Message/`;
const CALL_PATH = `/v1/Account/${AUTH_ID}/Call/`;

let api: StandInServer;

useStandInServer((started) => (api = started), { reset: true });

/** Plivo's documented error body. */
function plivoError(status: number, error: string) {
  return { status, body: { api_id: "97ceeb52-58b6-11e1-86da-77300b68f8bb", error } };
}

describe("plivo send: documented refusals map to the error kinds", () => {
  const cases: Array<[number, string, ProviderErrorKind]> = [
    [400, "invalid 'dst' parameter", "invalid_number"],
    [400, "Invalid destination number", "invalid_number"],
    [400, "invalid 'src' parameter", "unavailable"],
    [400, "invalid_parameter", "unavailable"],
    [401, "authentication_failed", "auth"],
    [404, "not found", "unavailable"],
    [429, "rate_limit_exceeded", "rate_limited"],
    [500, "server error", "unavailable"],
  ];

  it.each(cases)("HTTP %i with error %j is %s", async (status, error, kind) => {
    api.route("POST", MESSAGE_PATH, plivoError(status, error));

    const refused = await refusal(plivo({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(refused.kind).toBe(kind);
    expect(refused.message).toContain(`HTTP ${status}`);
  });

  it("is invalid_number when a refused call's error is about the destination", async () => {
    api.route("POST", CALL_PATH, plivoError(400, "invalid 'to' parameter"));

    const refused = await refusal(plivo({ base_url: api.url }).send(outbound({ channel: "voice" }), new AbortController().signal));

    expect(refused.kind).toBe("invalid_number");
  });

  it("drops the call's XML when the call is refused, so a late answer request gets a hang-up", async () => {
    api.route("POST", CALL_PATH, plivoError(429, "rate_limit_exceeded"));
    const provider = plivo({ base_url: api.url });
    await refusal(provider.send(outbound({ channel: "voice" }), new AbortController().signal));

    const answer = await provider.handleWebhook(signedCallback(callFields("in-progress"), { url: `${CALLBACK_URL}?event=answer` }));

    expect(answer.body).toContain("<Hangup/>");
    expect(answer.body).not.toContain("4, 8, 2");
    expect(answer.reports).toEqual([]);
  });

  it("never carries the code into the error text", async () => {
    api.route("POST", MESSAGE_PATH, plivoError(400, "text 'Acme: your verification code is 482913.' has invalid characters"));

    const refused = await refusal(plivo({ base_url: api.url }).send(outbound(), new AbortController().signal));

    expect(refused.message).not.toContain("482913");
  });

  it("stops when the caller's signal aborts", async () => {
    api.route("POST", MESSAGE_PATH, { hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new ProviderError("unavailable", "timed out", "plivo-main")), 50);

    const refused = await refusal(plivo({ base_url: api.url }).send(outbound(), controller.signal));

    expect(refused.message).toBe("timed out");
  });
});
