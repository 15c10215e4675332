import { type CreateIndexesOptions, type Db, type IndexSpecification, MongoServerError } from "mongodb";

export const COLLECTIONS = {
  verifications: "verifications",
  /** Only written in fenced mode (conditional-writes.ts). */
  fences: "verification_fences",
  /** rate-limiter-flexible's RateLimiterMongo, one collection for every limiter. */
  rateLimits: "rate_limits",
  /** The scorer's buckets, summed over every instance (score-stats.ts). */
  providerStats: "provider_stats",
} as const;

export const INDEX_NAMES = {
  purge: "purge_after_retention",
  idempotencyKey: "unique_idempotency_key",
  activePhoneNumber: "unique_active_phone_number",
  dueTimers: "due_timers",
  providerMessages: "provider_message_ids",
  listNewestFirst: "list_newest_first",
  rateLimitExpiry: "expire_after_window",
  rateLimitKey: "unique_limiter_key",
  scoreBucketExpiry: "expire_after_window",
  scoreWindow: "window_buckets",
} as const;

interface IndexDefinition {
  collection: string;
  keys: IndexSpecification;
  options: CreateIndexesOptions & { name: string };
}

/**
 * Every index verifyd needs. Sparse rather than partial unique indexes:
 * MongoDB and FerretDB both honour `sparse`, while FerretDB v1 has no
 * `partialFilterExpression`; the store only writes `idempotencyKey` and
 * `activePhoneNumber` when they must be unique, which makes the two equal.
 */
const INDEXES: readonly IndexDefinition[] = [
  // TTL: finished and expired verifications go after the retention period. Purging only: every read still checks expiresAt.
  { collection: COLLECTIONS.verifications, keys: { purgeAt: 1 }, options: { name: INDEX_NAMES.purge, expireAfterSeconds: 0 } },
  // Start replays a key; a key released from an expired verification (the field is unset) is free again.
  { collection: COLLECTIONS.verifications, keys: { idempotencyKey: 1 }, options: { name: INDEX_NAMES.idempotencyKey, unique: true, sparse: true } },
  // At most one active verification per number: the field exists only while the verification is active.
  { collection: COLLECTIONS.verifications, keys: { activePhoneNumber: 1 }, options: { name: INDEX_NAMES.activePhoneNumber, unique: true, sparse: true } },
  // The due-timer query: wakeAt <= now, earliest first (due time or lease end, whichever is later).
  { collection: COLLECTIONS.verifications, keys: { wakeAt: 1 }, options: { name: INDEX_NAMES.dueTimers, sparse: true } },
  // Receipts that carry only the provider's message id.
  { collection: COLLECTIONS.verifications, keys: { providerMessageKeys: 1 }, options: { name: INDEX_NAMES.providerMessages } },
  // ListVerifications: newest first, resuming after a page token's (createdAt, _id); filters are read along it.
  { collection: COLLECTIONS.verifications, keys: { createdAt: -1, _id: -1 }, options: { name: INDEX_NAMES.listNewestFirst } },
  { collection: COLLECTIONS.fences, keys: { purgeAt: 1 }, options: { name: INDEX_NAMES.purge, expireAfterSeconds: 0 } },
  { collection: COLLECTIONS.rateLimits, keys: { expire: -1 }, options: { name: INDEX_NAMES.rateLimitExpiry, expireAfterSeconds: 0 } },
  { collection: COLLECTIONS.rateLimits, keys: { key: 1 }, options: { name: INDEX_NAMES.rateLimitKey, unique: true } },
  // A scoring bucket is of no use once it has left every window.
  { collection: COLLECTIONS.providerStats, keys: { expireAt: 1 }, options: { name: INDEX_NAMES.scoreBucketExpiry, expireAfterSeconds: 0 } },
  // Each sync round reads the window's buckets.
  { collection: COLLECTIONS.providerStats, keys: { bucketMs: 1, bucketStart: 1 }, options: { name: INDEX_NAMES.scoreWindow } },
];

export interface IndexReport {
  /** False when the server refused TTL indexes (FerretDB v1): the store then purges by itself. */
  ttl: boolean;
}

/** Creates the indexes; idempotent, so every instance runs it at start-up. */
export async function ensureIndexes(db: Db, maxTimeMS: number): Promise<IndexReport> {
  let ttl = true;
  for (const index of INDEXES) {
    const collection = db.collection(index.collection);
    try {
      await collection.createIndex(index.keys, { ...index.options, maxTimeMS });
    } catch (error) {
      if (index.options.expireAfterSeconds === undefined || !isNotImplemented(error)) throw error;
      ttl = false;
      const { expireAfterSeconds: _ttl, ...plain } = index.options;
      // The purge loop's query needs the same index, without the expiry.
      await collection.createIndex(index.keys, { ...plain, maxTimeMS });
    }
  }
  return { ttl };
}

export function isNotImplemented(error: unknown): boolean {
  return error instanceof MongoServerError && (error.code === 238 || error.codeName === "NotImplemented");
}
