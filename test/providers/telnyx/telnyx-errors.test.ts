import { describe, expect, test } from "vitest";
import type { ProviderErrorKind } from "../../../src/providers/adapter.js";
import { useHarness } from "../support/adapter-harness.js";
import { expectProviderError, live, message, startTelnyx, type TelnyxHarness } from "./harness.js";

/**
 * Telnyx's documented rejections of POST /v2/messages, as
 * `{ "errors": [{ "code", "title", "detail" }] }` with the HTTP status Telnyx
 * documents for it (or the closest one where it documents none).
 */
const REJECTIONS: Array<[status: number, code: string, title: string, kind: ProviderErrorKind]> = [
  [400, "40310", "Invalid 'to' address", "invalid_number"],
  [400, "10002", "Invalid phone number", "invalid_number"],
  [400, "10016", "Phone number must be in +E.164 format", "invalid_number"],
  [409, "40300", "Blocked due to STOP message", "invalid_number"],
  [400, "40001", "Not routable", "invalid_number"],
  [400, "40301", "Unsupported message type for the 'to' address", "invalid_number"],
  [400, "40309", "Invalid destination region", "no_route"],
  [400, "40013", "Invalid messaging source number", "no_route"],
  [401, "10009", "Authentication failed", "auth"],
  [403, "10010", "Authorization failed", "auth"],
  [403, "40314", "Messaging disabled on account", "auth"],
  [429, "10011", "Too many requests", "rate_limited"],
  [429, "40333", "Messaging profile spend limit reached", "rate_limited"],
  [400, "40318", "Message queue full", "rate_limited"],
  [400, "40305", "Invalid 'from' address", "unavailable"],
  [400, "40312", "Messaging profile is disabled", "unavailable"],
  [500, "10007", "Unexpected error", "unavailable"],
];

describe("Telnyx rejections", () => {
  let h: TelnyxHarness;
  useHarness(startTelnyx, (started) => (h = started), { reset: true });

  test.each(REJECTIONS)("maps HTTP %i with Telnyx code %s (%s) to %s", async (status, code, title, kind) => {
    h.api.route("POST", "/v2/messages", { status, body: { errors: [{ code, title, detail: title }] } });

    const error = await expectProviderError(h.provider.send(message(), live()), kind);

    expect(error.provider).toBe("telnyx-main");
    expect(error.message).toContain(code);
  });

  test("blames our configuration, not the recipient, when 10002 points at the from number", async () => {
    h.api.route("POST", "/v2/messages", {
      status: 400,
      body: { errors: [{ code: "10002", title: "Invalid phone number", source: { pointer: "/from" } }] },
    });

    await expectProviderError(h.provider.send(message(), live()), "unavailable");
  });

  test("falls back to the HTTP status when the body carries no Telnyx error code", async () => {
    h.api.route("POST", "/v2/messages", { status: 429, body: "slow down" });
    await expectProviderError(h.provider.send(message(), live()), "rate_limited");

    h.api.reset();
    h.api.route("POST", "/v2/messages", { status: 503, body: "" });
    await expectProviderError(h.provider.send(message(), live()), "unavailable");

    h.api.reset();
    h.api.route("POST", "/v2/messages", { status: 401, body: "" });
    await expectProviderError(h.provider.send(message(), live()), "auth");
  });

  test("reports a refused connection as unavailable", async () => {
    const closed = await startTelnyx();
    await closed.api.close();

    await expectProviderError(closed.provider.send(message(), live()), "unavailable");
  });
});
