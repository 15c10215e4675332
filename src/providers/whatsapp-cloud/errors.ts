import type { ProviderErrorKind } from "../adapter.js";
import { kindForStatus } from "../http.js";

/** A Graph API error: `{ "error": { "message", "type", "code", "error_data": { "details" }, "fbtrace_id" } }`. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { messaging_product?: string; details?: string };
}

/**
 * Meta's documented Cloud API error codes ("WhatsApp error codes"), by what
 * they say about a send. Meta asks for handling on `code` and
 * `error_data.details`, never on titles.
 */
const KIND_BY_CODE: Record<number, ProviderErrorKind> = {
  // Credentials and permissions.
  0: "auth", // AuthException
  3: "auth", // API method: capability or permissions
  10: "auth", // permission denied
  190: "auth", // access token expired
  131005: "auth", // access denied
  131031: "auth", // business account locked
  // Throttling of our account or app.
  4: "rate_limited", // API too many calls
  80007: "rate_limited", // WABA rate limit
  130429: "rate_limited", // Cloud API throughput reached
  131048: "rate_limited", // spam rate limit: too many of our messages were blocked or flagged
  // The recipient: not on WhatsApp, or cannot receive this.
  131026: "invalid_number", // message undeliverable: not a WhatsApp user, old client, or terms not accepted
  131021: "invalid_number", // recipient cannot be the sender
  // This recipient through this channel, not Meta's health.
  131056: "no_route", // (business, consumer) pair rate limit: too many messages to this one number
  131047: "no_route", // re-engagement: outside the 24-hour window (not expected for templates)
  131049: "no_route", // Meta chose not to deliver, to keep engagement healthy
  131050: "no_route", // user stopped marketing messages
  130472: "no_route", // user's number is part of an experiment
  131030: "no_route", // recipient not in the allowed list (test number)
  // Meta or our configuration: every send would meet it.
  1: "unavailable", // API unknown
  2: "unavailable", // API service
  33: "unavailable", // parameter value not valid (e.g. phone number ID)
  368: "unavailable", // temporarily blocked for policy violations
  131000: "unavailable", // something went wrong
  131016: "unavailable", // service unavailable
  131042: "unavailable", // business eligibility: payment issue
  131057: "unavailable", // account in maintenance mode
  132000: "unavailable", // template parameter count mismatch
  132001: "unavailable", // template does not exist in this language
  132005: "unavailable", // template hydrated text too long
  132007: "unavailable", // template format character policy violated
  132012: "unavailable", // template parameter format mismatch
  132015: "unavailable", // template paused
  132016: "unavailable", // template disabled
  133010: "unavailable", // phone number not registered
};

/** Codes meaning "a parameter was wrong", which blame the number only when Meta's details say it was the recipient. */
const PARAMETER_CODES = new Set([100, 131008, 131009]);

export function whatsappErrorKind(status: number, error: GraphError | undefined): ProviderErrorKind {
  const code = error?.code;
  if (code !== undefined) {
    const kind = KIND_BY_CODE[code];
    if (kind) return kind;
    if (code >= 200 && code <= 299) return "auth"; // API permission
    if (PARAMETER_CODES.has(code)) return /recipient|phone number|\bto\b/i.test(error?.error_data?.details ?? "") ? "invalid_number" : "unavailable";
  }
  return kindForStatus(status);
}

export function graphError(json: unknown): GraphError | undefined {
  const error = (json as { error?: unknown } | undefined)?.error;
  return typeof error === "object" && error !== null ? (error as GraphError) : undefined;
}
