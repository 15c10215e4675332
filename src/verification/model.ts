/**
 * The verification record and its events, as the domain sees them. Plain data
 * with no transport or storage types, so every store can persist it as is and
 * the API layer can translate it to protobuf. Why something happened is data
 * here (an error kind, a failover cause, the providers passed over); words are
 * made only where a person reads them (src/api/reason-text.ts, log lines).
 */

export const CHANNELS = ["sms", "voice", "whatsapp"] as const;
export type Channel = (typeof CHANNELS)[number];

export type VerificationStatus = "pending" | "submitted" | "delivered" | "verified" | "failed" | "expired" | "locked" | "canceled";

export type AttemptStatus = "sending" | "rejected" | "submitted" | "delivered" | "undelivered" | "timed_out";

export type EventType =
  | "snapshot"
  | "submitted"
  | "rejected"
  | "delivered"
  | "undelivered"
  | "failover"
  | "fallback_available"
  | "check_failed"
  | "verified"
  | "expired"
  | "locked"
  | "canceled"
  | "failed";

/** Statuses after which nothing changes any more. */
export const FINISHED_STATUSES: ReadonlySet<VerificationStatus> = new Set(["verified", "failed", "expired", "locked", "canceled"]);

export const TERMINAL_EVENTS: ReadonlySet<EventType> = new Set(["verified", "expired", "locked", "canceled", "failed"]);

export function isFinished(status: VerificationStatus): boolean {
  return FINISHED_STATUSES.has(status);
}

/** A record is active while its code may still be sent or checked. */
export function isActive(record: Pick<VerificationRecord, "status">): boolean {
  return !isFinished(record.status);
}

/**
 * Why a provider refused a send. `invalid_number` is about the number itself,
 * every other kind is about the provider or its route.
 */
export type ProviderErrorKind = "invalid_number" | "no_route" | "rate_limited" | "auth" | "unavailable";

export const PROVIDER_ERROR_KINDS: readonly ProviderErrorKind[] = ["invalid_number", "no_route", "rate_limited", "auth", "unavailable"];

/**
 * What went wrong with one attempt: the provider refused it (its kind), the
 * breaker refused it without calling the provider (`breaker_open`), or the
 * provider reported it undelivered after accepting it.
 */
export interface AttemptError {
  kind: ProviderErrorKind | "breaker_open" | "undelivered";
  /** The provider's own words (or ours, for a timeout); for people, never parsed. */
  message: string;
}

/** Why a provider in the route was passed over without being called. */
export type SkipReason = "breaker_open";

export interface SkippedProvider {
  provider: string;
  why: SkipReason;
}

/** Why the dispatcher moved away from the previous attempt. */
export type FailoverCause =
  | { kind: "rejected"; error: AttemptError }
  | { kind: "no_receipt" }
  | { kind: "undelivered" }
  | { kind: "escalated"; from: Channel; to: Channel };

export type FailoverKind = FailoverCause["kind"];

/** What led to an attempt. */
export type AttemptReason = { kind: "start" } | { kind: "resend" } | { kind: "takeover" } | { kind: "failover"; cause: FailoverCause };

export interface Attempt {
  number: number;
  provider: string;
  channel: Channel;
  status: AttemptStatus;
  error?: AttemptError;
  /** What led to this attempt; absent on records written before it was kept. */
  reason?: AttemptReason;
  /** Providers of the route passed over on the way to this one. */
  skipped?: SkippedProvider[];
  idempotencyKey: string;
  providerMessageId?: string;
  startedAt: number;
  submittedAt?: number;
  deliveredAt?: number;
  /** The provider's last intermediate state (queued, sent, ...), kept for debugging. */
  providerStatus?: string;
  /**
   * Receipts that arrived while the attempt was still being sent, before the
   * provider's answer named its message: held (a few at most) and applied
   * only if their message id turns out to be this attempt's.
   */
  heldReports?: HeldReport[];
}

/** A receipt held until its attempt's message id is known. */
export interface HeldReport {
  state: "delivered" | "undelivered" | "intermediate";
  providerMessageId: string;
  providerStatus?: string;
  error?: string;
  at: number;
}

/** Who may run the record's timer work, and until when (epoch ms). */
export interface Lease {
  owner: string;
  until: number;
}

/**
 * One verification as stored. Times are epoch milliseconds. The code itself is
 * never stored: `codeHash` is an HMAC for Check, `sealedCode` an authenticated
 * encryption of it so that another provider (or another instance) can resend
 * the same code; it is erased when the verification finishes.
 */
export interface VerificationRecord {
  id: string;
  phoneNumber: string;
  country: string;
  channel: Channel;
  status: VerificationStatus;
  attempts: Attempt[];
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  verifiedAt?: number;
  checkAttemptsRemaining: number;
  fallbackChannels: Channel[];
  codeLength: number;
  codeHash: string;
  sealedCode?: string;
  locale: string;
  metadata: Record<string, string>;
  idempotencyKey?: string;
  /** Digest of the Start parameters, to tell a replay from a reused key. */
  requestFingerprint: string;
  clientIp?: string;
  /**
   * The W3C traceparent of the Start that created the record, when tracing
   * is on: later work without a caller (timer resends, receipts) links to it.
   */
  traceContext?: string;
  /** When the last code message went out (resend_min_interval). */
  lastSendAt?: number;
  /** When timer work is next due: the delivery window, or expiry. */
  dueAt?: number;
  lease?: Lease;
  /** Last event sequence number issued. */
  sequence: number;
  /** Optimistic-concurrency version, bumped by every write. */
  version: number;
}

/** The typed facts an event carries besides its type; which are set depends on the type. */
export interface EventFacts {
  provider?: string;
  attemptNumber?: number;
  /** failover: why the dispatcher moved on. */
  cause?: FailoverCause;
  /** rejected, undelivered: what went wrong with the attempt. */
  error?: AttemptError;
  /** submitted, rejected, failover, fallback_available, failed: providers passed over. */
  skipped?: SkippedProvider[];
  /** fallback_available: the channels the caller may offer instead. */
  offered?: Channel[];
  /** check_failed: attempts left before the verification locks. */
  attemptsLeft?: number;
}

export interface VerificationEvent extends EventFacts {
  verificationId: string;
  sequence: number;
  type: EventType;
  verification: VerificationRecord;
  at: number;
}

/** An event as a transition emits it, before it has a sequence number and a snapshot. */
export interface PendingEvent extends EventFacts {
  type: Exclude<EventType, "snapshot">;
}
