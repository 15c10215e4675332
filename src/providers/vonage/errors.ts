import type { ProviderErrorKind } from "../adapter.js";
import { kindForStatus } from "../http.js";

/**
 * The SMS API's `messages[].status` codes (developer.vonage.com, "SMS API
 * error codes"), by what they say about the send. The SMS API answers HTTP 200
 * for these; the status in the body is the verdict.
 */
const KIND_BY_SMS_STATUS: Record<string, ProviderErrorKind> = {
  "1": "rate_limited", // throttled: faster than the account's limit
  "4": "auth", // invalid credentials
  "5": "unavailable", // internal error
  "6": "no_route", // invalid message: the platform could not process it, e.g. an unrecognised number prefix
  "7": "invalid_number", // number barred: the recipient is on the barred list
  "8": "auth", // partner account barred: the account is suspended
  // Out of credit: every send fails until someone tops up, so it indicts the account, not one message.
  "9": "auth", // partner quota violation: not enough credit
  "10": "rate_limited", // too many existing binds: back off and retry
  "11": "auth", // account not enabled for the HTTP SMS API
  "12": "unavailable", // message too long
  "14": "auth", // invalid signature
  "15": "no_route", // invalid sender address: this sender is not allowed for the destination
  "22": "no_route", // invalid network code for the destination
  "23": "unavailable", // invalid callback URL
  "29": "no_route", // non-whitelisted destination: a demo account may send only to its own numbers
  "32": "auth", // signature and API secret disallowed together
  "33": "invalid_number", // number de-activated
};

/**
 * The kind of a refused SMS. Missing (2) and invalid (3) parameters are about
 * the recipient only when Vonage's `error-text` names `to`; otherwise they are
 * about our request or sender, which would fail every time.
 */
export function vonageSmsErrorKind(status: string, errorText: string | undefined): ProviderErrorKind {
  if (status === "2" || status === "3") return /\bto\b/i.test(errorText ?? "") ? "invalid_number" : "unavailable";
  return KIND_BY_SMS_STATUS[status] ?? "unavailable";
}

/** A Vonage API error in RFC 7807 form, as the Voice API answers. */
export interface VonageProblem {
  type?: string;
  title?: string;
  detail?: string;
  invalid_parameters?: Array<{ name?: string; reason?: string }>;
}

/**
 * The kind of a refused call: the generic error types Vonage documents
 * (developer.vonage.com/api-errors) first, then the HTTP status. An invalid
 * `to` is the number's fault; other invalid parameters are ours.
 */
export function vonageVoiceErrorKind(status: number, problem: VonageProblem | undefined): ProviderErrorKind {
  const type = problem?.type?.split("#").pop() ?? "";
  if (["unauthorized", "forbidden", "unprovisioned", "account-suspended", "low-balance", "jwt-expired", "jwt-revoked", "invalid-api-key"].includes(type)) {
    return "auth";
  }
  if (status === 400 || type === "invalid-params" || type === "validation") {
    const aboutTo = problem?.invalid_parameters?.some((parameter) => /^to(\b|\[|\.)/.test(parameter.name ?? ""));
    return aboutTo ? "invalid_number" : "unavailable";
  }
  if (status === 402) return "auth";
  return kindForStatus(status);
}
