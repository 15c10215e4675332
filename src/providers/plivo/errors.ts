import type { ProviderErrorKind } from "../adapter.js";
import { kindForStatus } from "../http.js";

/**
 * The kind of a refused Message or Call request. Plivo documents its API
 * errors by HTTP status (400 a parameter is missing or invalid, 401
 * authentication failed, 429 rate limited, 500 server error) with an `error`
 * text, and reports most delivery problems later, in callbacks. A 400 is the
 * number's fault only when the text is about the destination (`dst`, `to`);
 * otherwise it is about our request or sender.
 */
export function plivoErrorKind(status: number, errorText: string | undefined): ProviderErrorKind {
  if (status === 400) return /\b(dst|to|destination)\b/i.test(errorText ?? "") ? "invalid_number" : "unavailable";
  return kindForStatus(status);
}

/** The `error` of Plivo's error body, `{ "api_id": "...", "error": "..." }`; it may be a string or an object of field errors. */
export function plivoErrorText(json: unknown): string | undefined {
  const error = (json as { error?: unknown } | undefined)?.error;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null) return JSON.stringify(error);
  return undefined;
}
