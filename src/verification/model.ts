/**
 * The verification record and its events, as the domain sees them. Plain data
 * with no transport or storage types, so every store can persist it as is and
 * the API layer can translate it to protobuf.
 */

export const CHANNELS = ["sms", "voice", "whatsapp"] as const;
export type Channel = (typeof CHANNELS)[number];

export type VerificationStatus =
  | "pending"
  | "submitted"
  | "delivered"
  | "verified"
  | "failed"
  | "expired"
  | "locked"
  | "canceled";

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
export const FINISHED_STATUSES: ReadonlySet<VerificationStatus> = new Set([
  "verified",
  "failed",
  "expired",
  "locked",
  "canceled",
]);

export const TERMINAL_EVENTS: ReadonlySet<EventType> = new Set(["verified", "expired", "locked", "canceled", "failed"]);

export function isFinished(status: VerificationStatus): boolean {
  return FINISHED_STATUSES.has(status);
}

export interface Attempt {
  number: number;
  provider: string;
  channel: Channel;
  status: AttemptStatus;
  /** Error kind and message, "no_route: ..." */
  error?: string;
  idempotencyKey: string;
  providerMessageId?: string;
  startedAt: number;
  submittedAt?: number;
  deliveredAt?: number;
  /** The provider's last intermediate state (queued, sent, ...), kept for debugging. */
  providerStatus?: string;
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

export interface VerificationEvent {
  verificationId: string;
  sequence: number;
  type: EventType;
  verification: VerificationRecord;
  provider?: string;
  reason?: string;
  attemptNumber?: number;
  at: number;
}

/** A record is active while its code may still be sent or checked. */
export function isActive(record: Pick<VerificationRecord, "status">): boolean {
  return !isFinished(record.status);
}
