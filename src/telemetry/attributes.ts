import { describeReason } from "../verification/describe.js";
import type { AttemptError, AttemptReason, FailoverKind, SkippedProvider } from "../verification/model.js";

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
export type FailoverReason = FailoverKind | "breaker_open";

/**
 * The failover that led to an attempt, as a label (its cause's kind:
 * rejected, no_receipt, undelivered, escalated); undefined for attempts that
 * are not a failover (start, resend, takeover) or whose reason was not kept.
 */
export function failoverReasonOf(reason: AttemptReason | undefined): FailoverKind | undefined {
  return reason?.kind === "failover" ? reason.cause.kind : undefined;
}

/** What led to an attempt, worded as the domain words it ("start", "rejected: no_route", "escalated to voice"). */
export function attemptReasonText(reason: AttemptReason | undefined): string {
  return reason ? describeReason(reason) : "unknown";
}

/** The providers of a route passed over because their breaker was open. */
export function skippedForOpenBreaker(skipped: readonly SkippedProvider[] | undefined): string[] {
  return skipped ? skipped.filter((entry) => entry.why === "breaker_open").map((entry) => entry.provider) : [];
}

/** Providers passed over, as "<name> (<why>)" (e.g. "sim-a (breaker_open)"), for the route.skipped attribute. */
export function skippedAttribute(skipped: readonly SkippedProvider[]): string[] {
  return skipped.map((entry) => `${entry.provider} (${entry.why})`);
}

/** An attempt's error kind as a label; "other" when the attempt has no error on record. */
export function errorKindOf(error: AttemptError | undefined): AttemptError["kind"] | "other" {
  return error?.kind ?? "other";
}

/** An ISO 3166-1 alpha-2 code as a label; anything else (which the domain never produces) as "unknown", so labels stay bounded. */
export function countryLabel(country: string | undefined): string {
  return country && /^[A-Z]{2}$/.test(country) ? country : "unknown";
}
