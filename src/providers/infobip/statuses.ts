import type { DeliveryState, ProviderErrorKind } from "../adapter.js";
import { kindForStatus } from "../http.js";

/** Infobip's status object, in send responses, delivery reports and logs. */
export interface InfobipStatus {
  groupId?: number;
  groupName?: string;
  id?: number;
  name?: string;
  description?: string;
}

/**
 * Status groups: PENDING (1), UNDELIVERABLE (2), DELIVERED (3), EXPIRED (4),
 * REJECTED (5). DELIVERED_TO_OPERATOR sits in the DELIVERED group but is
 * intermediate (Infobip says so itself): only DELIVERED_TO_HANDSET is a delivery.
 */
export function deliveryState(status: InfobipStatus): DeliveryState {
  switch (status.groupName) {
    case "DELIVERED":
      return status.name === "DELIVERED_TO_OPERATOR" || status.id === 2 ? "intermediate" : "delivered";
    case "UNDELIVERABLE":
    case "EXPIRED":
    case "REJECTED":
      return "undelivered";
    default:
      return "intermediate";
  }
}

/**
 * Why Infobip rejected a message it answered for in the send response
 * (REJECTED group), by status name as Infobip's "Response status and error
 * codes" documents them.
 */
const KIND_BY_REJECTION: Record<string, ProviderErrorKind> = {
  REJECTED_PREFIX_MISSING: "invalid_number", // number not recognized: wrong prefix or length
  REJECTED_DESTINATION: "invalid_number", // prefix matches no mobile operator
  MISSING_TO: "invalid_number",
  REJECTED_DND: "invalid_number", // recipient subscribed to Do Not Disturb
  REJECTED_DESTINATION_BLOCKLISTED: "invalid_number", // blocklisted at the operator's request or on the account
  REJECTED_NETWORK: "no_route", // network out of coverage or not set up on the account
  REJECTED_ROUTE_NOT_AVAILABLE: "no_route", // no route on the account for this destination
  REJECTED_DESTINATION_NOT_REGISTERED: "no_route", // trial account limited to its registered number
  // Per-number anti-flooding (20 varied / 6 identical messages an hour): about this recipient, not Infobip's health.
  REJECTED_FLOODING_FILTER: "no_route",
  REJECTED_SOURCE: "unavailable", // sender ID not registered on the account
  REJECTED_SENDER: "unavailable", // sender ID blocklisted on the account
  REJECTED_NOT_ENOUGH_CREDITS: "unavailable",
  REJECTED_PREPAID_PACKAGE_EXPIRED: "unavailable",
  REJECTED_SYSTEM_ERROR: "unavailable",
};

export function rejectionKind(status: InfobipStatus): ProviderErrorKind {
  return KIND_BY_REJECTION[status.name ?? ""] ?? "unavailable";
}

/** Infobip API error bodies: v3 `{ errorCode, description, violations: [{ property, violation }] }`, v2 `{ requestError: { serviceException } }`. */
export interface InfobipApiError {
  errorCode?: string;
  description?: string;
  violations?: Array<{ property?: string; violation?: string }>;
  requestError?: { serviceException?: { messageId?: string; text?: string } };
}

/**
 * A refused request: a 400 whose violations name a destination's `to` is
 * about the number; every other 400 is a request we built wrong; 401/403
 * credentials or permissions; 429 throttling; 5xx Infobip.
 */
export function infobipErrorKind(status: number, error: InfobipApiError | undefined): ProviderErrorKind {
  if (status === 400 && error?.violations?.some((violation) => /destinations(\[\d+\])?\.to$/.test(violation.property ?? ""))) return "invalid_number";
  return kindForStatus(status);
}

export function describeInfobipError(error: InfobipApiError | undefined): string {
  if (!error) return "";
  const exception = error.requestError?.serviceException;
  const violations = (error.violations ?? []).map((violation) => `${violation.property}: ${violation.violation}`).join("; ");
  return [error.errorCode ?? exception?.messageId, error.description ?? exception?.text, violations].filter(Boolean).join(" ");
}
