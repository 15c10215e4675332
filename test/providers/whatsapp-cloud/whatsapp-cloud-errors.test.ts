import { describe, expect, test } from "vitest";
import type { ProviderErrorKind } from "../../../src/providers/adapter.js";
import { useHarness } from "../support/adapter-harness.js";
import { expectProviderError, live, MESSAGES_PATH, message, startWhatsApp, type WhatsAppHarness } from "./harness.js";

/** Meta's documented Cloud API errors, as Graph API error bodies with the HTTP status Meta uses for them. */
const REJECTIONS: Array<[status: number, code: number, title: string, kind: ProviderErrorKind]> = [
  [401, 190, "Access token has expired", "auth"],
  [401, 0, "AuthException", "auth"],
  [403, 10, "Permission denied", "auth"],
  [403, 200, "Permissions error", "auth"],
  [403, 131005, "Access denied", "auth"],
  [429, 4, "Application request limit reached", "rate_limited"],
  [429, 80007, "Rate limit issues", "rate_limited"],
  [429, 130429, "Rate limit hit", "rate_limited"],
  [400, 131048, "Spam rate limit hit", "rate_limited"],
  [400, 131026, "Message undeliverable", "invalid_number"],
  [400, 131021, "Recipient cannot be sender", "invalid_number"],
  [400, 131056, "(Business Account, Consumer Account) pair rate limit hit", "no_route"],
  [400, 131047, "Re-engagement message", "no_route"],
  [400, 131030, "Recipient phone number not in allowed list", "no_route"],
  [500, 131000, "Something went wrong", "unavailable"],
  [503, 131016, "Service unavailable", "unavailable"],
  [400, 132001, "Template name does not exist in the translation", "unavailable"],
  [400, 132000, "Number of parameters does not match the expected number of params", "unavailable"],
  [400, 132015, "Template is paused", "unavailable"],
  [400, 368, "Temporarily blocked for policies violations", "unavailable"],
];

describe("WhatsApp Cloud rejections", () => {
  let h: WhatsAppHarness;
  useHarness(startWhatsApp, (started) => (h = started), { reset: true });

  test.each(REJECTIONS)("maps HTTP %i with error code %i (%s) to %s", async (status, code, title, kind) => {
    h.api.route("POST", MESSAGES_PATH, {
      status,
      body: {
        error: {
          message: `(#${code}) ${title}`,
          type: "OAuthException",
          code,
          error_data: { messaging_product: "whatsapp", details: title },
          fbtrace_id: "Az8or2yhqkZfEZ-_4Qn_Bam",
        },
      },
    });

    const error = await expectProviderError(h.provider.send(message(), live()), kind);

    expect(error.message).toContain(String(code));
  });

  test("blames the number for an invalid-parameter error whose details name the recipient", async () => {
    h.api.route("POST", MESSAGES_PATH, {
      status: 400,
      body: {
        error: {
          message: "(#100) Invalid parameter",
          type: "OAuthException",
          code: 100,
          error_data: { messaging_product: "whatsapp", details: "Invalid parameter: to is not a valid phone number" },
        },
      },
    });

    await expectProviderError(h.provider.send(message(), live()), "invalid_number");
  });

  test("blames the request for an invalid-parameter error about anything else", async () => {
    h.api.route("POST", MESSAGES_PATH, {
      status: 400,
      body: {
        error: {
          message: "(#100) Invalid parameter",
          type: "OAuthException",
          code: 100,
          error_data: { messaging_product: "whatsapp", details: "Param template['name'] is required" },
        },
      },
    });

    await expectProviderError(h.provider.send(message(), live()), "unavailable");
  });

  test("falls back to the HTTP status when the body is not a Graph error", async () => {
    h.api.route("POST", MESSAGES_PATH, { status: 502, body: "<html>Bad gateway</html>" });

    await expectProviderError(h.provider.send(message(), live()), "unavailable");
  });
});
