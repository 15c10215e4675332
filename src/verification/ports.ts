/**
 * What the verification domain needs from the world, declared here so that
 * the arrows point in: stores, the provider gateway, routing, rate limits and
 * message rendering are implemented in their own folders against these
 * interfaces, and the domain imports none of them.
 */
import type { AttemptError, AttemptReason, Channel, SkippedProvider, SkipReason, VerificationEvent, VerificationRecord, VerificationStatus } from "./model.js";

export type { Clock } from "./clock.js";
export type { RandomSource } from "./codes.js";

// --- store ---------------------------------------------------------------------

/**
 * The one store interface every database implements. Every write is a single
 * conditional operation on the record's `version`, so two writers (two
 * requests, or two instances sharing a database) can never both apply a
 * change made from the same state: the loser sees `undefined` and re-reads.
 */
export interface VerificationStore {
  /**
   * Adds a new record. Rejects with DuplicateKeyError when its idempotency key
   * is taken, or when its phone number already has an active verification.
   */
  insert(record: VerificationRecord): Promise<void>;
  get(id: string): Promise<VerificationRecord | undefined>;
  findActiveByPhone(phoneNumber: string): Promise<VerificationRecord | undefined>;
  findByIdempotencyKey(key: string): Promise<VerificationRecord | undefined>;
  findByProviderMessageId(provider: string, providerMessageId: string): Promise<VerificationRecord | undefined>;
  /**
   * Replaces the record if its stored version is still `expectedVersion`;
   * the replacement carries `expectedVersion + 1`. Returns the stored record,
   * or undefined when someone else wrote first. `events` (the change's events,
   * in sequence order) are stored in the same write, so a change and its
   * events are never separated; readEvents and other instances' subscribers
   * read them from there.
   */
  replace(record: VerificationRecord, expectedVersion: number, events?: readonly VerificationEvent[]): Promise<VerificationRecord | undefined>;
  /**
   * Takes a lease on up to `limit` records whose `dueAt` has passed and whose
   * lease is free or lapsed, for `leaseMs`. What one caller claims no other
   * caller can claim until the lease lapses or the record is written.
   */
  claimDue(now: number, owner: string, leaseMs: number, limit: number): Promise<VerificationRecord[]>;
  /** The earliest `dueAt`, when the store can tell cheaply; lets the timer loop sleep precisely. */
  nextDueAt?(): number | undefined;
  /**
   * Delivers the events of a write that succeeded to this instance's watchers
   * now; other instances' watchers get them from what `replace` stored.
   */
  publish(events: readonly VerificationEvent[]): Promise<void>;
  /**
   * Calls `listener` with every event published for the verification from now
   * on, on any instance, each once and in sequence order. It may also be
   * handed events from before the call; watchers skip what they have seen.
   */
  subscribe(verificationId: string, listener: (event: VerificationEvent) => void): () => void;
  /**
   * The stored events of the verification with a sequence above
   * `afterSequence`, in order. Stores keep a bounded recent history, so the
   * result can start later than `afterSequence + 1`; callers check.
   */
  readEvents(verificationId: string, afterSequence: number): Promise<VerificationEvent[]>;
  /**
   * Records matching `query`, newest first (createdAt descending, then id
   * descending), one page at a time. Pages follow a cursor, not an offset, so
   * records inserted between two pages cause neither duplicates nor gaps.
   * A page may hold fewer records than asked, even none, and still have a
   * next token (a store may bound the work of one page); only the last page
   * has none. Rejects with VerifyError invalid_argument for a page token it
   * did not issue (listing.ts: the token, the page size bounds).
   */
  listVerifications(query: VerificationQuery): Promise<VerificationPage>;
  /** True while the store can serve requests. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** What ListVerifications asks for; an absent filter matches everything. */
export interface VerificationQuery {
  /** Any of these statuses; every status when empty. */
  statuses?: readonly VerificationStatus[];
  /** ISO 3166-1 alpha-2, upper case. */
  country?: string;
  /** Only records with an attempt through this provider. */
  provider?: string;
  /** createdAt at or after this, epoch ms. */
  createdAfter?: number;
  /** createdAt before this, epoch ms. */
  createdBefore?: number;
  /** Records per page: 0 means DEFAULT_PAGE_SIZE; stores cap it at MAX_PAGE_SIZE (listing.ts). */
  pageSize?: number;
  /** The previous page's nextPageToken. */
  pageToken?: string;
}

export interface VerificationPage {
  verifications: VerificationRecord[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

export type UniqueField = "idempotency_key" | "active_phone_number";

export class DuplicateKeyError extends Error {
  override readonly name = "DuplicateKeyError";
  constructor(readonly field: UniqueField) {
    super(`duplicate ${field}`);
  }
}

// --- providers -------------------------------------------------------------------

/** Which attempt a message (and so its receipts) belongs to. */
export interface AttemptReference {
  verificationId: string;
  attemptNumber: number;
}

/** One code message, as the dispatcher hands it to the provider gateway. */
export interface OutboundMessage {
  to: string;
  channel: Channel;
  /** The code, for providers that template it themselves (voice, WhatsApp). */
  code: string;
  /** The rendered text to send. */
  body: string;
  locale: string;
  /** "<verification id>-attempt-<n>", so a provider can collapse duplicates. */
  idempotencyKey: string;
  /** Routes the provider's receipt back to this attempt. */
  reference: AttemptReference;
  /** Where and why this attempt goes, for tracing; adapters need not read it. */
  attemptContext?: AttemptContext;
}

export interface AttemptContext {
  /** ISO 3166-1 alpha-2 country of the number. */
  country: string;
  reason: AttemptReason;
  /** Providers passed over on the way to this one. */
  skipped?: readonly SkippedProvider[];
}

export type SendOutcome = { ok: true; providerMessageId: string } | { ok: false; error: AttemptError };

export type DeliveryState = "delivered" | "undelivered" | "intermediate";

/** A delivery receipt, whether pushed by a webhook or pulled by a status query. */
export interface DeliveryReport {
  provider: string;
  state: DeliveryState;
  /** Present when the provider's callback carried our reference. */
  reference?: AttemptReference;
  providerMessageId?: string;
  /** The provider's own status word, e.g. "sent", "DELIVRD". */
  providerStatus?: string;
  error?: string;
  at: number;
}

/**
 * How the dispatcher reaches providers: one object, built in one place, that
 * wraps each adapter with its timeout, breaker and tracing.
 */
export interface ProviderGateway {
  /** Is a provider of that name configured? */
  has(provider: string): boolean;
  send(provider: string, message: OutboundMessage): Promise<SendOutcome>;
  /** Whether the provider can be asked for a message's state (and the operator allows it). */
  canQueryStatus(provider: string): boolean;
  /**
   * Asks the provider for a message's state; undefined when the provider
   * does not know it or the question failed (the caller fails over as usual).
   */
  queryStatus(provider: string, providerMessageId: string): Promise<DeliveryReport | undefined>;
}

/**
 * Where receipts go, from the webhook route and the simulator alike. The
 * promise settles once the receipt was applied (or found to name nothing we
 * know); it rejects when it could not be applied (the store is down), so a
 * webhook answers 5xx and the provider retries.
 */
export interface ReceiptInbox {
  report(receipt: DeliveryReport): Promise<void>;
}

// --- routing -----------------------------------------------------------------------

/** One provider's place in a route: its name, and why it is not to be called now if so. */
export interface RouteChoice {
  readonly provider: string;
  /** Set when the provider is to be passed over now. */
  readonly skipWhy?: SkipReason;
}

/** Where provider order comes from: the routing table, or the scored router. */
export interface RouteSource {
  /** The providers to try for a country and channel, in order; skipped ones last. */
  plan(country: string, channel: Channel): readonly RouteChoice[];
  /** Channels other than `channel` with at least one provider for the country. */
  otherRoutableChannels(country: string, channel: Channel): Channel[];
}

// --- callers ---------------------------------------------------------------------------

/**
 * Aborts when the caller's deadline passes or the caller goes away. The API
 * layer aborts it with a VerifyError (deadline_exceeded or canceled), which
 * the domain throws as it is: no provider call starts after that.
 */
export type CallerSignal = AbortSignal;

// --- limits, messages, logging, observers ----------------------------------------------

/** The per-phone and per-IP allowances; each call takes a point or throws VerifyError rate_limited. */
export interface SendLimits {
  consumeSend(phoneNumber: string, clientIp: string | undefined): Promise<void>;
  consumeCheck(clientIp: string | undefined): Promise<void>;
}

export interface RenderInput {
  channel: Channel;
  locale: string;
  code: string;
  brand: string;
  ttlMs: number;
}

export interface MessageRenderer {
  render(input: RenderInput): string;
  /**
   * The locale for a number of `country` (ISO 3166-1 alpha-2) when the caller
   * names none: its language, where there are texts in it; undefined leaves
   * the policy's default.
   */
  localeFor?(country: string): string | undefined;
}

export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

// --- send guard --------------------------------------------------------------------

/** A code about to be sent (by Start or Resend), as the send guard judges it. */
export interface SendIntent {
  phoneNumber: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  channel: Channel;
  /** The number's other routable channels, offered when only `channel` is refused ("call me instead"); asked only then. */
  alternatives(): readonly Channel[];
  /** The number's libphonenumber type, when the caller parsed it already (it costs ~20 µs to work out again). */
  numberType?: string;
}

/** A send the guard admitted; `count()` records it once it has passed the rate limits too, so both count it once. */
export interface SendPass {
  count(): Promise<void>;
}

/**
 * Judges a send before anything is sent (the fraud guard). `admit` throws
 * VerifyError permission_denied, with the refusal's reason and figures, when
 * a guard refuses; a refused send creates nothing and counts nowhere.
 */
export interface SendGuard {
  admit(intent: SendIntent): Promise<SendPass>;
}

/** Sees every event after it is stored: the scorer and metrics learn from these. */
export type EventObserver = (events: readonly VerificationEvent[]) => void;
