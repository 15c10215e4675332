import type { ProviderErrorKind } from "../adapter.js";
import { kindForStatus } from "../http.js";

/** One entry of a Telnyx v2 error response: `{ "errors": [{ "code": "40310", "title": ..., "source": { "pointer": "/to" } }] }`. */
export interface TelnyxError {
  code?: string | number;
  title?: string;
  detail?: string;
  source?: { pointer?: string };
}

/**
 * Telnyx's documented request errors (developers.telnyx.com, "API error
 * codes" and "Messaging Error Code Reference") by what they say about the
 * send. Codes about the recipient or its route fail over without counting
 * against Telnyx; codes about our account or sender configuration do count,
 * since every later send would meet them too.
 */
const KIND_BY_CODE: Record<string, ProviderErrorKind> = {
  // The recipient itself.
  "10001": "invalid_number", // inactive phone number
  "10002": "invalid_number", // invalid phone number (unless the pointer says "from")
  "10016": "invalid_number", // phone number must be in +E.164 format (ditto)
  "40001": "invalid_number", // not routable: landline or non-routable number
  "40012": "invalid_number", // invalid messaging destination number
  "40300": "invalid_number", // blocked due to STOP message: the recipient opted out of this sender
  "40301": "invalid_number", // unsupported message type for the 'to' address
  "40310": "invalid_number", // invalid 'to' address
  "40319": "invalid_number", // incompatible message type for the 'to' address
  // The route to that recipient.
  "40309": "no_route", // invalid destination region: the profile is not enabled for that country
  "40013": "no_route", // invalid messaging source number for that destination, as the carrier judged it
  // Our account and credentials.
  "10009": "auth", // authentication failed
  "10010": "auth", // authorization failed
  "20002": "auth", // API key revoked
  "20006": "auth", // expired access token
  "20012": "auth", // account inactive
  "20013": "auth", // account blocked
  "40311": "auth", // invalid messaging profile secret
  "40313": "auth", // missing messaging profile secret
  "40314": "auth", // messaging disabled on account
  // Throttling and spend.
  "10011": "rate_limited", // too many requests
  "40318": "rate_limited", // message queue full
  "40333": "rate_limited", // messaging profile daily spend limit reached (HTTP 429)
  // Our sender configuration: every send through this provider would fail the same way.
  "40305": "unavailable", // invalid 'from' address
  "40306": "unavailable", // alphanumeric sender not configured on the profile
  "40312": "unavailable", // messaging profile disabled
  "40315": "unavailable", // unhealthy 'from' address
  "40320": "unavailable", // 'from' address temporarily unusable
  "40321": "unavailable", // no usable numbers on the messaging profile
  "40329": "unavailable", // toll-free number not verified
  "10007": "unavailable", // unexpected error
};

/** The kind of a refused send, from Telnyx's own error code first and the HTTP status otherwise. */
export function telnyxErrorKind(status: number, error: TelnyxError | undefined): ProviderErrorKind {
  const code = error?.code === undefined ? undefined : String(error.code);
  if (code !== undefined) {
    const kind = KIND_BY_CODE[code];
    // 10002/10016 name whichever number was wrong; a bad `from` is our configuration.
    if (kind === "invalid_number" && (code === "10002" || code === "10016") && error?.source?.pointer === "/from") return "unavailable";
    if (kind) return kind;
  }
  return kindForStatus(status);
}

/** The first error of a Telnyx error body, when it has one. */
export function firstTelnyxError(json: unknown): TelnyxError | undefined {
  const errors = (json as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors) || typeof errors[0] !== "object" || errors[0] === null) return undefined;
  return errors[0] as TelnyxError;
}
