import type { VerificationEvent, VerificationRecord } from "../verification/model.js";

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
  /** True while the store can serve requests. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

export type UniqueField = "idempotency_key" | "active_phone_number";

export class DuplicateKeyError extends Error {
  override readonly name = "DuplicateKeyError";
  constructor(readonly field: UniqueField) {
    super(`duplicate ${field}`);
  }
}
