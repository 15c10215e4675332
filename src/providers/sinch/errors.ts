import type { ProviderErrorKind } from "../adapter.js";
import { kindForStatus } from "../http.js";

/** Sinch's error body for 400 and 403: `{ "code": "syntax_invalid_parameter_format", "text": "..." }`. */
export interface SinchError {
  code?: string;
  text?: string;
}

/**
 * Sinch's documented 400 and 403 codes ("HTTP Status Codes for the SMS REST
 * API"). The syntax codes cover every field; only when the text names the
 * recipient (an MSISDN in `to`) is the number to blame.
 */
export function sinchErrorKind(status: number, error: SinchError | undefined): ProviderErrorKind {
  switch (error?.code) {
    case "syntax_invalid_parameter_format":
    case "syntax_constraint_violation":
      return aboutRecipient(error.text) ? "invalid_number" : "unavailable";
    case "illegal_number_type":
      return "invalid_number";
    case "unprovisioned_region":
      return "no_route";
    case "blocked_account":
      return "auth";
    case "syntax_invalid_json":
    case "missing_callback_url":
      return "unavailable";
  }
  return kindForStatus(status);
}

function aboutRecipient(text: string | undefined): boolean {
  if (!text) return false;
  if (/\bfrom\b|sender|originator/i.test(text)) return false;
  return /\bto\b|recipient|msisdn|destination/i.test(text);
}

export function asSinchError(json: unknown): SinchError | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const { code, text } = json as Record<string, unknown>;
  return { code: typeof code === "string" ? code : undefined, text: typeof text === "string" ? text : undefined };
}
