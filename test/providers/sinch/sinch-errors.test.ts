import { describe, expect, test } from "vitest";
import type { ProviderErrorKind } from "../../../src/providers/adapter.js";
import { useHarness } from "../support/adapter-harness.js";
import { BATCHES_PATH, expectProviderError, live, message, type SinchHarness, startSinch } from "./harness.js";

/** Sinch's documented rejections: HTTP 400 and 403 carry `{ code, text }`; the rest are bare statuses. */
const REJECTIONS: Array<[status: number, code: string, text: string, kind: ProviderErrorKind]> = [
  [400, "syntax_invalid_parameter_format", "Invalid MSISDN in to: 4670", "invalid_number"],
  [400, "syntax_constraint_violation", "to: recipient list must not be empty", "invalid_number"],
  [400, "syntax_invalid_parameter_format", "Invalid from: originator too long", "unavailable"],
  [400, "syntax_invalid_json", "Unexpected character", "unavailable"],
  [403, "illegal_number_type", "Illegal number type for region", "invalid_number"],
  [403, "unprovisioned_region", "Account not provisioned for region", "no_route"],
  [403, "blocked_account", "Account is blocked", "auth"],
  [403, "missing_callback_url", "Callback requested but no URL", "unavailable"],
];

describe("Sinch rejections", () => {
  let h: SinchHarness;
  useHarness(startSinch, (started) => (h = started), { reset: true });

  test.each(REJECTIONS)("maps HTTP %i %s (%s) to %s", async (status, code, text, kind) => {
    h.api.route("POST", BATCHES_PATH, { status, body: { code, text } });

    const error = await expectProviderError(h.provider.send(message(), live()), kind);

    expect(error.message).toContain(code);
  });

  test.each([
    [401, "auth"],
    [403, "auth"],
    [429, "rate_limited"],
    [500, "unavailable"],
    [503, "unavailable"],
  ] as const)("maps a bare HTTP %i to %s", async (status, kind) => {
    h.api.route("POST", BATCHES_PATH, { status, body: "" });

    await expectProviderError(h.provider.send(message(), live()), kind);
  });
});
