import { type AnyBulkWriteOperation, type Collection, type Db, MongoBulkWriteError } from "mongodb";
import type { ScoreStatsSync } from "../../routing/score-sync.js";
import { type SeriesBucket, TTD_BINS } from "../../routing/scorer.js";
import type { Channel } from "../../verification/model.js";
import { isDuplicateKeyError, toStoreError } from "./errors.js";
import { COLLECTIONS } from "./indexes.js";

/** One bucket of one provider × country × channel, summed over every instance. */
export interface ProviderStatsDocument {
  /** `<bucketMs>|<provider>|<country>|<channel>|<bucketStart>`: one document per bucket, found by an upsert. */
  _id: string;
  provider: string;
  country: string;
  channel: Channel;
  /** Instances with another window ÷ buckets cut other buckets; they share nothing with this one. */
  bucketMs: number;
  bucketStart: number;
  accepted: number;
  rejected: number;
  delivered: number;
  undelivered: number;
  verified: number;
  spend: number;
  breakerOpens: number;
  /** Deliveries per time-to-delivery bin (scorer.ts). */
  ttd: number[];
  /** When the bucket has left every window: the TTL index (or the store's purge loop) deletes it. */
  expireAt: Date;
}

export interface MongoScoreStatsOptions {
  db: Db;
  /** Waits for the store's set-up (connection, indexes); rejects while the database is away. */
  setUp: () => Promise<void>;
  /** The scorer's bucket length and window, ms. */
  bucketMs: number;
  windowMs: number;
  /** Server-side limit of each operation. */
  maxTimeMS: number;
}

const COUNTERS = ["accepted", "rejected", "delivered", "undelivered", "verified", "spend", "breakerOpens"] as const;

/**
 * The scorer's statistics shared through the database: every instance adds
 * its new counts with `$inc` (one bulkWrite per round) and reads the window's
 * totals back. Failures surface as VerifyError("unavailable"); the sync loop
 * then keeps the local figures and tries again.
 *
 * A push the driver reports failed after the server applied it (a timeout on
 * the answer) is sent again next round and counted twice; the figures are
 * rates over an hour of traffic, where that does not move a route. On
 * FerretDB, whose `$inc` is not atomic, two instances pushing into one
 * bucket at the same moment can undercount.
 *
 * @example
 * const shared = new MongoScoreStats({ db: store.db, setUp: () => store.whenSetUp(), bucketMs: 300_000, windowMs: 3_600_000, maxTimeMS: 3_000 });
 * await shared.push(scorer.buckets());
 */
export class MongoScoreStats implements ScoreStatsSync {
  readonly #collection: Collection<ProviderStatsDocument>;
  readonly #options: MongoScoreStatsOptions;

  constructor(options: MongoScoreStatsOptions) {
    this.#options = options;
    this.#collection = options.db.collection<ProviderStatsDocument>(COLLECTIONS.providerStats);
  }

  async push(deltas: readonly SeriesBucket[]): Promise<void> {
    if (deltas.length === 0) return;
    try {
      await this.#options.setUp();
      let operations = deltas.flatMap((delta) => this.#operations(delta));
      // Two instances creating one bucket at once: where the server does not retry the losing upsert itself (FerretDB), the rest is sent again.
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#collection.bulkWrite(operations, { ordered: true, maxTimeMS: this.#options.maxTimeMS });
          return;
        } catch (error) {
          const failedAt = duplicateUpsertAt(error);
          if (failedAt === undefined || attempt === 3) throw error;
          // Ordered: everything before the failed operation was applied, nothing after it.
          operations = operations.slice(failedAt);
        }
      }
    } catch (error) {
      throw toStoreError(error, "pushScoreStats");
    }
  }

  async pull(sinceBucketStart: number): Promise<SeriesBucket[]> {
    try {
      await this.#options.setUp();
      const documents = await this.#collection
        .find({ bucketMs: this.#options.bucketMs, bucketStart: { $gt: sinceBucketStart } }, { maxTimeMS: this.#options.maxTimeMS })
        .toArray();
      return documents.map((document) => ({
        provider: document.provider,
        country: document.country,
        channel: document.channel,
        start: document.bucketStart,
        accepted: document.accepted ?? 0,
        rejected: document.rejected ?? 0,
        delivered: document.delivered ?? 0,
        undelivered: document.undelivered ?? 0,
        verified: document.verified ?? 0,
        spend: document.spend ?? 0,
        breakerOpens: document.breakerOpens ?? 0,
        ttd: Array.from({ length: TTD_BINS }, (_, bin) => document.ttd?.[bin] ?? 0),
      }));
    } catch (error) {
      throw toStoreError(error, "pullScoreStats");
    }
  }

  /**
   * The upsert that creates the bucket with its histogram array and adds the
   * counters, then one adding to the histogram: `$inc` on `ttd.<bin>` would
   * create an object, not an array, in a new document, and cannot share an
   * update with `$setOnInsert` of `ttd`.
   */
  #operations(delta: SeriesBucket): AnyBulkWriteOperation<ProviderStatsDocument>[] {
    const { bucketMs, windowMs } = this.#options;
    const _id = `${bucketMs}|${delta.provider}|${delta.country}|${delta.channel}|${delta.start}`;
    const counters: Record<string, number> = {};
    for (const counter of COUNTERS) if (delta[counter] !== 0) counters[counter] = delta[counter];
    const bins: Record<string, number> = {};
    delta.ttd.forEach((count, bin) => {
      if (count !== 0) bins[`ttd.${bin}`] = count;
    });
    const operations: AnyBulkWriteOperation<ProviderStatsDocument>[] = [
      {
        updateOne: {
          filter: { _id },
          update: {
            ...(Object.keys(counters).length > 0 ? { $inc: counters } : {}),
            $setOnInsert: {
              provider: delta.provider,
              country: delta.country,
              channel: delta.channel,
              bucketMs,
              bucketStart: delta.start,
              ttd: new Array<number>(TTD_BINS).fill(0),
              expireAt: new Date(delta.start + bucketMs + windowMs),
            },
          },
          upsert: true,
        },
      },
    ];
    if (Object.keys(bins).length > 0) operations.push({ updateOne: { filter: { _id }, update: { $inc: bins } } });
    return operations;
  }
}

/** The index of the upsert that lost a race to create its bucket, if that is why the bulkWrite failed. */
function duplicateUpsertAt(error: unknown): number | undefined {
  if (!(error instanceof MongoBulkWriteError)) return undefined;
  const [first] = ([] as Array<{ index: number; code?: number; errmsg?: string }>).concat(error.writeErrors as never);
  if (!first) return undefined;
  const duplicate = first.code === 11000 || first.code === 11001 || isDuplicateKeyError(error) || /UNIQUE constraint failed|duplicate key/i.test(first.errmsg ?? "");
  return duplicate ? first.index : undefined;
}
