import type { ProviderErrorKind } from "../adapter.js";
import { kindForStatus } from "../http.js";

/** Twilio's REST error body: `{ "code": 21211, "message": "...", "more_info": "...", "status": 400 }`. */
export interface TwilioRestError {
  code?: number;
  message?: string;
}

/**
 * Twilio's documented error codes (twilio.com/docs/api/errors) for a refused
 * Message or Call, by what they say about the send. Codes about the recipient
 * or the route to it fail over without counting against Twilio; codes about
 * our account or sender configuration do count, since every later send would
 * meet them too.
 */
const KIND_BY_CODE: Record<number, ProviderErrorKind> = {
  // The recipient itself.
  21211: "invalid_number", // invalid 'To' phone number
  21217: "invalid_number", // phone number does not appear to be valid (calls)
  21610: "invalid_number", // the recipient unsubscribed (replied STOP) from this sender
  21614: "invalid_number", // 'To' number is not a valid mobile number
  21635: "invalid_number", // 'To' number is a landline where Twilio does not try SMS
  // The route to that recipient.
  21408: "no_route", // permission to send to the 'To' number's region is not enabled
  21215: "no_route", // geo permissions do not allow calling the 'To' number's region
  21606: "no_route", // 'From' is not a message-capable number for this destination
  21612: "no_route", // this To/From combination cannot be delivered (carrier, sender rules)
  21659: "no_route", // 'From' is not a Twilio number, or a short code of another country
  21608: "no_route", // trial account: 'To' is not a verified number
  // Our credentials and account.
  20003: "auth", // authentication failed
  20005: "auth", // account not active
  21210: "auth", // the caller ID is not a verified number of this account
  // Throttling.
  20429: "rate_limited", // too many requests
  21611: "rate_limited", // 'From' has too many messages queued
};

/** The kind of a refused send, from Twilio's error code first and the HTTP status otherwise. */
export function twilioErrorKind(status: number, error: TwilioRestError | undefined): ProviderErrorKind {
  const kind = error?.code === undefined ? undefined : KIND_BY_CODE[error.code];
  return kind ?? kindForStatus(status);
}

export function asTwilioError(json: unknown): TwilioRestError | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const { code, message } = json as { code?: unknown; message?: unknown };
  return {
    code: typeof code === "number" ? code : typeof code === "string" && /^\d+$/.test(code) ? Number(code) : undefined,
    message: typeof message === "string" ? message : undefined,
  };
}
