import { VerifyError } from "../../verification/errors.js";
import { isActive, type VerificationEvent, type VerificationRecord } from "../../verification/model.js";
import { DuplicateKeyError, type VerificationPage, type VerificationQuery, type VerificationStore } from "../../verification/ports.js";
import { CreationOrder } from "./creation-order.js";
import { DueQueue } from "./due-queue.js";
import { FinishOrder } from "./finish-order.js";

/**
 * Records held at most, by default. A verification takes about 1.3 KiB of
 * heap with its indexes (bench/RESULTS.md, "heap per pending verification"),
 * so 200,000 hold about 250 MiB: well inside Node's default old-space limit
 * on 64-bit (2 to 4 GiB, by the machine's memory), with room left for the
 * garbage collector's headroom, requests in flight and the rest of verifyd.
 * A steady 50 Starts/s keeps the last hour or so of finished verifications.
 */
export const DEFAULT_MAX_RECORDS = 200_000;

export interface MemoryStoreOptions {
  /** How long finished and expired records stay readable, in ms. */
  retentionMs: number;
  /**
   * Records held at most (DEFAULT_MAX_RECORDS unless given). Past it the
   * oldest finished records are dropped first, before their retention;
   * active ones never: with only active records left, insert throws
   * VerifyError("resource_exhausted").
   */
  maxRecords?: number;
  /** Epoch ms; injected so tests control purging. */
  now?: () => number;
  /** How often the purge runs, in ms; 0 turns it off. */
  purgeIntervalMs?: number;
  /** Events kept per verification for readEvents (Watch resumed after a sequence). */
  eventLogLimit?: number;
  /**
   * Verifications whose events are kept; the least recently written lose
   * theirs first, so memory stays bounded. A Watch resumed on one of those
   * gets a snapshot instead of a replay.
   */
  eventLogVerifications?: number;
}

/**
 * The embedded default: everything in this process. It keeps the same
 * contract as a shared database (versioned writes, unique keys, leases), so
 * the domain cannot come to rely on anything only memory gives.
 */
export class MemoryStore implements VerificationStore {
  readonly #records = new Map<string, VerificationRecord>();
  readonly #activeByPhone = new Map<string, string>();
  readonly #byIdempotencyKey = new Map<string, string>();
  /** Provider, then its message id: keyed by the strings the attempts already hold, not a joined copy of them. */
  readonly #byProviderMessage = new Map<string, Map<string, string>>();
  /** Ids of finished records in the order they finished: the first to drop when the store is full. */
  readonly #finished = new FinishOrder();
  /** Every record by creation time, for listing newest first. */
  readonly #created = new CreationOrder((id) => this.#records.get(id));
  /** Wake-up times; an entry that is not its record's wakeTime is stale (no Map of live times: the record is the truth). */
  readonly #due = new DueQueue();
  readonly #listeners = new Map<string, Set<(event: VerificationEvent) => void>>();
  /** Recent events per verification, least recently written first (Map order). */
  readonly #eventLogs = new Map<string, VerificationEvent[]>();
  readonly #eventLogLimit: number;
  readonly #eventLogVerifications: number;
  readonly #retentionMs: number;
  readonly #maxRecords: number;
  #evicted = 0;
  readonly #now: () => number;
  readonly #purgeTimer: NodeJS.Timeout | undefined;

  constructor(options: MemoryStoreOptions) {
    this.#retentionMs = options.retentionMs;
    this.#maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
    this.#now = options.now ?? Date.now;
    this.#eventLogLimit = options.eventLogLimit ?? 64;
    this.#eventLogVerifications = options.eventLogVerifications ?? 1_000;
    const every = options.purgeIntervalMs ?? 60_000;
    if (every > 0) {
      this.#purgeTimer = setInterval(() => this.purge(), every);
      this.#purgeTimer.unref();
    }
  }

  async insert(record: VerificationRecord): Promise<void> {
    if (record.idempotencyKey !== undefined && this.#byIdempotencyKey.has(record.idempotencyKey)) {
      throw new DuplicateKeyError("idempotency_key");
    }
    if (isActive(record) && this.#activeByPhone.has(record.phoneNumber)) {
      throw new DuplicateKeyError("active_phone_number");
    }
    while (this.#records.size >= this.#maxRecords) this.#evictOldestFinished();
    this.#records.set(record.id, record);
    this.#created.add(record.createdAt, record.id);
    this.#index(undefined, record);
  }

  async get(id: string): Promise<VerificationRecord | undefined> {
    return this.#records.get(id);
  }

  async findActiveByPhone(phoneNumber: string): Promise<VerificationRecord | undefined> {
    const id = this.#activeByPhone.get(phoneNumber);
    return id === undefined ? undefined : this.#records.get(id);
  }

  async findByIdempotencyKey(key: string): Promise<VerificationRecord | undefined> {
    const id = this.#byIdempotencyKey.get(key);
    return id === undefined ? undefined : this.#records.get(id);
  }

  async findByProviderMessageId(provider: string, providerMessageId: string): Promise<VerificationRecord | undefined> {
    const id = this.#byProviderMessage.get(provider)?.get(providerMessageId);
    return id === undefined ? undefined : this.#records.get(id);
  }

  async replace(record: VerificationRecord, expectedVersion: number, events: readonly VerificationEvent[] = []): Promise<VerificationRecord | undefined> {
    const current = this.#records.get(record.id);
    if (!current || current.version !== expectedVersion) return undefined;
    if (isActive(record) && !isActive(current)) {
      const holder = this.#activeByPhone.get(record.phoneNumber);
      if (holder !== undefined && holder !== record.id) throw new DuplicateKeyError("active_phone_number");
    }
    if (record.idempotencyKey !== undefined && record.idempotencyKey !== current.idempotencyKey) {
      const holder = this.#byIdempotencyKey.get(record.idempotencyKey);
      if (holder !== undefined && holder !== record.id) throw new DuplicateKeyError("idempotency_key");
    }
    const stored = { ...record, version: expectedVersion + 1 };
    this.#records.set(stored.id, stored);
    if (stored.createdAt !== current.createdAt) {
      this.#created.delete();
      this.#created.add(stored.createdAt, stored.id);
    }
    this.#index(current, stored);
    if (events.length > 0) this.#logEvents(stored, events);
    return stored;
  }

  async claimDue(now: number, owner: string, leaseMs: number, limit: number): Promise<VerificationRecord[]> {
    const claimed: VerificationRecord[] = [];
    while (claimed.length < limit) {
      const time = this.#due.peekTime();
      if (time === undefined || time > now) break;
      const [, id] = this.#due.pop()!;
      const record = this.#records.get(id);
      // Stale: the record is gone, or its wake-up moved (a duplicate of a live time is stale once the record is leased).
      if (!record || wakeTime(record) !== time) continue;
      const leased = { ...record, lease: { owner, until: now + leaseMs }, version: record.version + 1 };
      this.#records.set(id, leased);
      this.#schedule(record, leased);
      claimed.push(leased);
    }
    return claimed;
  }

  nextDueAt(): number | undefined {
    return this.#due.peekTime();
  }

  async publish(events: readonly VerificationEvent[]): Promise<void> {
    for (const event of events) {
      const listeners = this.#listeners.get(event.verificationId);
      if (!listeners) continue;
      for (const listener of [...listeners]) listener(event);
    }
  }

  subscribe(verificationId: string, listener: (event: VerificationEvent) => void): () => void {
    let listeners = this.#listeners.get(verificationId);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(verificationId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#listeners.delete(verificationId);
    };
  }

  async readEvents(verificationId: string, afterSequence: number): Promise<VerificationEvent[]> {
    return (this.#eventLogs.get(verificationId) ?? []).filter((event) => event.sequence > afterSequence);
  }

  async listVerifications(query: VerificationQuery): Promise<VerificationPage> {
    return this.#created.page(query);
  }

  async ready(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    if (this.#purgeTimer) clearInterval(this.#purgeTimer);
  }

  /** Drops finished records older than the retention; what a TTL index does in a database. */
  purge(): number {
    const cutoff = this.#now() - this.#retentionMs;
    let removed = 0;
    for (const id of this.#finished) {
      const record = this.#records.get(id)!;
      if (Math.max(record.updatedAt, record.expiresAt) > cutoff) continue;
      this.#remove(record);
      removed++;
    }
    return removed;
  }

  get size(): number {
    return this.#records.size;
  }

  /** Finished records dropped before their retention to stay within maxRecords, since construction. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Makes room for one record: O(1), the oldest finished record goes. */
  #evictOldestFinished(): void {
    const oldest = this.#finished.oldest();
    if (oldest === undefined) {
      throw new VerifyError("resource_exhausted", "too many verifications in progress (store.max_records); try again later");
    }
    this.#remove(this.#records.get(oldest)!);
    this.#evicted++;
  }

  #remove(record: VerificationRecord): void {
    this.#records.delete(record.id);
    this.#created.delete();
    this.#unindex(record);
  }

  #index(previous: VerificationRecord | undefined, record: VerificationRecord): void {
    const releasedKey = previous?.idempotencyKey;
    // An expired verification gives its key up (the domain unsets it), and the key is free for a new Start.
    if (releasedKey !== undefined && releasedKey !== record.idempotencyKey && this.#byIdempotencyKey.get(releasedKey) === record.id) {
      this.#byIdempotencyKey.delete(releasedKey);
    }
    if (record.idempotencyKey !== undefined) this.#byIdempotencyKey.set(record.idempotencyKey, record.id);
    if (isActive(record)) {
      this.#activeByPhone.set(record.phoneNumber, record.id);
      this.#finished.delete(record.id);
    } else {
      if (this.#activeByPhone.get(record.phoneNumber) === record.id) this.#activeByPhone.delete(record.phoneNumber);
      // A no-op for a record already finished: it keeps its place in finish order.
      this.#finished.add(record.id);
    }
    const before = previous?.attempts;
    record.attempts.forEach((attempt, index) => {
      if (attempt.providerMessageId !== undefined && before?.[index]?.providerMessageId !== attempt.providerMessageId) {
        let messages = this.#byProviderMessage.get(attempt.provider);
        if (!messages) {
          messages = new Map();
          this.#byProviderMessage.set(attempt.provider, messages);
        }
        messages.set(attempt.providerMessageId, record.id);
      }
    });
    this.#schedule(previous, record);
  }

  #unindex(record: VerificationRecord): void {
    if (record.idempotencyKey !== undefined && this.#byIdempotencyKey.get(record.idempotencyKey) === record.id) {
      this.#byIdempotencyKey.delete(record.idempotencyKey);
    }
    if (this.#activeByPhone.get(record.phoneNumber) === record.id) this.#activeByPhone.delete(record.phoneNumber);
    for (const attempt of record.attempts) {
      if (attempt.providerMessageId !== undefined) this.#byProviderMessage.get(attempt.provider)?.delete(attempt.providerMessageId);
    }
    this.#eventLogs.delete(record.id);
    this.#finished.delete(record.id);
  }

  #logEvents(stored: VerificationRecord, events: readonly VerificationEvent[]): void {
    const log = this.#eventLogs.get(stored.id) ?? [];
    // Re-inserted so the Map's order stays least recently written first.
    this.#eventLogs.delete(stored.id);
    for (const event of events) log.push({ ...event, verification: stored });
    if (log.length > this.#eventLogLimit) log.splice(0, log.length - this.#eventLogLimit);
    this.#eventLogs.set(stored.id, log);
    if (this.#eventLogs.size > this.#eventLogVerifications) {
      const oldest = this.#eventLogs.keys().next().value;
      if (oldest !== undefined) this.#eventLogs.delete(oldest);
    }
  }

  /** Queues the record's wake-up when it moved; the entry for its previous wake-up goes stale. */
  #schedule(previous: VerificationRecord | undefined, record: VerificationRecord): void {
    const wake = wakeTime(record);
    if (wake !== undefined && (previous === undefined || wakeTime(previous) !== wake)) this.#due.push(wake, record.id);
  }
}

/** When the record's timer work may next be claimed: its due time, or when its lease lapses; undefined when nothing is due. */
function wakeTime(record: VerificationRecord): number | undefined {
  if (record.dueAt === undefined) return undefined;
  return record.lease ? Math.max(record.dueAt, record.lease.until) : record.dueAt;
}
