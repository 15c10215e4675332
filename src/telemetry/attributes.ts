import { PROVIDER_ERROR_KINDS, type ProviderErrorKind } from "../providers/adapter.js";

/**
 * Span attribute names. The RPC ones follow the OpenTelemetry semantic
 * conventions (copied, not imported from the incubating entry point, which
 * may rename them under us); verifyd's own live under `verifyd.`.
 */
export const ATTR = {
  rpcSystem: "rpc.system",
  rpcService: "rpc.service",
  rpcMethod: "rpc.method",
  rpcGrpcStatusCode: "rpc.grpc.status_code",
  rpcConnectErrorCode: "rpc.connect_rpc.error_code",
  /** The newer, protocol-independent status attribute ("OK", "NOT_FOUND"), so one query finds errors whatever the protocol. */
  rpcResponseStatusCode: "rpc.response.status_code",
  rpcProtocol: "verifyd.rpc.protocol",
  verificationId: "verifyd.verification.id",
  phoneNumber: "verifyd.phone_number",
  country: "verifyd.country",
  channel: "verifyd.channel",
  provider: "verifyd.provider",
  attemptNumber: "verifyd.attempt.number",
  attemptReason: "verifyd.attempt.reason",
  attemptOutcome: "verifyd.attempt.outcome",
  errorKind: "verifyd.attempt.error_kind",
  providerMessageId: "verifyd.provider.message_id",
  breakerState: "verifyd.breaker.state",
  failoverReason: "verifyd.failover.reason",
  skipped: "verifyd.route.skipped",
  receiptStatus: "verifyd.receipt.status",
  receiptProviderStatus: "verifyd.receipt.provider_status",
  timeToDeliveryMs: "verifyd.receipt.time_to_delivery_ms",
  checkApproved: "verifyd.check.approved",
} as const;

/** Why a verification moved on to another provider; a closed set, fit for a metric label. */
export type FailoverReason = "rejected" | "no_receipt" | "undelivered" | "breaker_open" | "escalated";

/**
 * The failover reason in the domain's wording ("rejected: no_route",
 * "no_receipt", "undelivered", "escalated to voice"), as a label; undefined
 * for reasons that are not a failover ("start", "resend", "takeover").
 */
export function failoverReasonOf(reason: string | undefined): FailoverReason | undefined {
  if (!reason) return undefined;
  if (reason.startsWith("rejected")) return "rejected";
  if (reason.startsWith("no_receipt")) return "no_receipt";
  if (reason.startsWith("undelivered")) return "undelivered";
  if (reason.startsWith("escalated")) return "escalated";
  return undefined;
}

/**
 * Providers an event says were passed over for an open breaker. The domain
 * notes them as "skipped sim-a (circuit open (table position 1)), sim-b (…)"
 * in a FAILOVER, SUBMITTED or REJECTED reason; provider names are
 * `[a-z0-9][a-z0-9_-]*` (config schema), so they cannot be confused with the
 * text around them.
 */
export function skippedForOpenBreaker(reason: string | undefined): string[] {
  if (!reason?.includes("skipped ")) return [];
  return [...reason.matchAll(/(?:skipped |, )([a-z0-9][a-z0-9_-]{0,62}) \(circuit open/g)].map((match) => match[1]!);
}

/** The provider error kind at the head of an attempt's error ("no_route: ..."), else "other". */
export function errorKindOf(error: string | undefined): ProviderErrorKind | "other" {
  const head = error?.split(":", 1)[0]?.trim();
  return PROVIDER_ERROR_KINDS.includes(head as ProviderErrorKind) ? (head as ProviderErrorKind) : "other";
}

/** An ISO 3166-1 alpha-2 code as a label; anything else (which the domain never produces) as "unknown", so labels stay bounded. */
export function countryLabel(country: string | undefined): string {
  return country && /^[A-Z]{2}$/.test(country) ? country : "unknown";
}
