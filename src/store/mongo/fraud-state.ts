import { type AnyBulkWriteOperation, type Collection, type Db, MongoBulkWriteError } from "mongodb";
import type { BlockScope } from "../../fraud/settings.js";
import type { CounterIncrement, CounterKind, FraudSnapshot, FraudState, FraudWindows, ProvenBefore, StoredBlock } from "../../fraud/state.js";
import { type Bucket, bucketExpiry, bucketStart } from "../../fraud/window.js";
import type { Logger } from "../../verification/ports.js";
import { OutageLog } from "../outage-log.js";
import { isDuplicateKeyError, toStoreError } from "./errors.js";
import { isNotImplemented } from "./indexes.js";
import { setUpOnce } from "./set-up-once.js";

/** The guard's collections. */
export const FRAUD_COLLECTIONS = {
  /** One document per scope and time bucket: `$inc` counters, so instances never conflict. */
  counters: "fraud_counters",
  /** One document per prefix or country: its last verification and its block. */
  scopes: "fraud_scopes",
} as const;

/** One bucket of one scope's counters, summed over every instance. */
interface CounterDocument {
  /** `<kind>:<key>|<bucket start>` */
  _id: string;
  /** `<kind>:<key>`: "velocity:+1202555", "prefix:+1202555", "country:US". */
  k: string;
  t: number;
  s?: number;
  v?: number;
  n?: number;
  c?: number;
  /** When the bucket has left its window: the TTL index (or the purge loop) deletes it. */
  expireAt: Date;
}

interface ScopeDocument {
  /** `<scope>:<key>` */
  _id: string;
  lastVerifiedAt?: number;
  provenSince?: number;
  block?: StoredBlock;
  expireAt: Date;
}

export interface MongoFraudStateOptions {
  db: Db;
  /** Waits for the store's set-up (connection); rejects while the database is away. */
  setUp: () => Promise<void>;
  windows: FraudWindows;
  maxTimeMS: number;
  /** How often expired documents are deleted where the server has no TTL indexes (FerretDB). */
  purgeIntervalMs: number;
  now: () => number;
  logger: Logger;
}

/**
 * The guard's state shared by every instance on the database. Counters are
 * `$inc` upserts into per-bucket documents (no read-modify-write, so a busy
 * country's counters never conflict between instances); every document has
 * an `expireAt` under a TTL index, so a tracked prefix costs its live buckets
 * and one small scope document, and nothing outlives its window. A Start
 * reads two queries (in parallel) and writes one bulkWrite.
 *
 * Where the server has no TTL indexes (FerretDB v1) a purge loop deletes
 * what they would. FerretDB applies `$inc` non-atomically: concurrent sends
 * to one scope can undercount there, as the rate limits do.
 */
export class MongoFraudState implements FraudState {
  readonly #counters: Collection<CounterDocument>;
  readonly #scopes: Collection<ScopeDocument>;
  readonly #options: MongoFraudStateOptions;
  readonly #purgeOutage: OutageLog;
  readonly #ensureSetUp = setUpOnce(() => this.#setUp());
  #purgeTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: MongoFraudStateOptions) {
    this.#options = options;
    this.#counters = options.db.collection<CounterDocument>(FRAUD_COLLECTIONS.counters);
    this.#scopes = options.db.collection<ScopeDocument>(FRAUD_COLLECTIONS.scopes);
    this.#purgeOutage = new OutageLog(options.logger, { subject: "fraud purge" });
  }

  async snapshot(prefix: string, country: string, now: number): Promise<FraudSnapshot> {
    return this.#run("fraudSnapshot", async () => {
      const { velocity, conversion } = this.#options.windows;
      const since = now - Math.max(velocity.windowMs + velocity.bucketMs, conversion.windowMs + conversion.bucketMs);
      const keys = [`velocity:${prefix}`, `prefix:${prefix}`, `country:${country}`];
      const options = { maxTimeMS: this.#options.maxTimeMS };
      const [counters, scopes] = await Promise.all([
        this.#counters.find({ k: { $in: keys }, t: { $gt: since } }, options).toArray(),
        this.#scopes.find({ _id: { $in: [`prefix:${prefix}`, `country:${country}`] } }, options).toArray(),
      ]);
      const bucketsOf = (key: string) => counters.filter((document) => document.k === key).map(toBucket);
      const prefixScope = scopes.find((document) => document._id === `prefix:${prefix}`);
      return {
        velocity: bucketsOf(keys[0]!),
        prefix: { buckets: bucketsOf(keys[1]!), block: prefixScope?.block, lastVerifiedAt: prefixScope?.lastVerifiedAt },
        country: { buckets: bucketsOf(keys[2]!), block: scopes.find((document) => document._id === `country:${country}`)?.block },
      };
    });
  }

  async add(increments: readonly CounterIncrement[]): Promise<void> {
    if (increments.length === 0) return;
    await this.#run("fraudAdd", async () => {
      let operations = increments.map((increment) => this.#upsert(increment));
      // Two writers creating one bucket at once: the losing upsert is sent again, once (the bucket exists by then).
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#counters.bulkWrite(operations, { ordered: false, maxTimeMS: this.#options.maxTimeMS });
          return;
        } catch (error) {
          const failed = duplicateUpserts(error);
          if (failed === undefined || attempt === 2) throw error;
          operations = failed.map((index) => operations[index]!);
        }
      }
    });
  }

  async markVerified(prefix: string, at: number, windowMs: number): Promise<ProvenBefore> {
    return this.#run("fraudMarkVerified", async () => {
      const _id = `prefix:${prefix}`;
      const options = { maxTimeMS: this.#options.maxTimeMS };
      let before: ScopeDocument | null;
      try {
        before = await this.#scopes.findOneAndUpdate(
          { _id },
          { $max: { lastVerifiedAt: at, expireAt: new Date(at + windowMs) } },
          { ...options, upsert: true, returnDocument: "before" },
        );
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        before = await this.#scopes.findOneAndUpdate(
          { _id },
          { $max: { lastVerifiedAt: at, expireAt: new Date(at + windowMs) } },
          { ...options, returnDocument: "before" },
        );
      }
      // A new run of verifications: the last one is older than the window (or there was none).
      if (before?.lastVerifiedAt === undefined || before.lastVerifiedAt <= at - windowMs)
        await this.#scopes.updateOne({ _id }, { $set: { provenSince: at } }, options);
      return { lastVerifiedAt: before?.lastVerifiedAt, provenSince: before?.provenSince };
    });
  }

  async putBlock(block: StoredBlock): Promise<void> {
    await this.#run("fraudPutBlock", async () => {
      const _id = `${block.scope}:${block.key}`;
      const update = { $set: { block }, $max: { expireAt: new Date(block.forgetAt) } };
      try {
        await this.#scopes.updateOne({ _id }, update, { upsert: true, maxTimeMS: this.#options.maxTimeMS });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        await this.#scopes.updateOne({ _id }, update, { maxTimeMS: this.#options.maxTimeMS });
      }
    });
  }

  async activeBlocks(now: number): Promise<StoredBlock[]> {
    return this.#run("fraudActiveBlocks", async () => {
      const documents = await this.#scopes.find({ "block.until": { $gt: now } }, { maxTimeMS: this.#options.maxTimeMS }).toArray();
      return documents.flatMap((document) => (document.block ? [document.block] : []));
    });
  }

  async clear(scope: BlockScope, key: string): Promise<StoredBlock | undefined> {
    return this.#run("fraudClear", async () => {
      const options = { maxTimeMS: this.#options.maxTimeMS };
      const found = await this.#scopes.findOne({ _id: `${scope}:${key}` }, options);
      await this.#scopes.updateOne({ _id: `${scope}:${key}` }, { $unset: { block: "" } }, options);
      const kinds: CounterKind[] = scope === "prefix" ? ["prefix", "velocity"] : ["country"];
      await this.#counters.deleteMany({ k: { $in: kinds.map((kind) => `${kind}:${key}`) } }, options);
      return found?.block;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#purgeTimer) clearInterval(this.#purgeTimer);
  }

  /** Deletes what a TTL index would have: buckets out of their window, scopes with nothing left to remember. */
  async purge(): Promise<void> {
    const now = new Date(this.#options.now());
    const options = { maxTimeMS: this.#options.maxTimeMS };
    await Promise.all([this.#counters.deleteMany({ expireAt: { $lte: now } }, options), this.#scopes.deleteMany({ expireAt: { $lte: now } }, options)]);
  }

  #upsert(increment: CounterIncrement): AnyBulkWriteOperation<CounterDocument> {
    const { conversion, velocity } = this.#options.windows;
    const shape = increment.kind === "velocity" ? velocity : conversion;
    const k = `${increment.kind}:${increment.key}`;
    const t = bucketStart(increment.at, shape.bucketMs);
    const counts: Record<string, number> = {};
    if (increment.sends) counts.s = increment.sends;
    if (increment.verified) counts.v = increment.verified;
    if (increment.newSends) counts.n = increment.newSends;
    if (increment.newVerified) counts.c = increment.newVerified;
    return {
      updateOne: {
        filter: { _id: `${k}|${t}` },
        update: { $inc: counts, $setOnInsert: { k, t, expireAt: new Date(bucketExpiry(t, shape)) } },
        upsert: true,
      },
    };
  }

  async #run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    try {
      await this.#ensureSetUp();
      return await body();
    } catch (error) {
      throw toStoreError(error, operation);
    }
  }

  /** The indexes, once: TTL on every document (a purge loop where the server refuses TTL), and the lookups. */
  async #setUp(): Promise<void> {
    await this.#options.setUp();
    const maxTimeMS = this.#options.maxTimeMS;
    let ttl = true;
    for (const collection of [this.#counters, this.#scopes] as unknown as Collection[]) {
      try {
        await collection.createIndex({ expireAt: 1 }, { name: "expire_after_window", expireAfterSeconds: 0, maxTimeMS });
      } catch (error) {
        if (!isNotImplemented(error)) throw error;
        ttl = false;
        await collection.createIndex({ expireAt: 1 }, { name: "expire_after_window", maxTimeMS });
      }
    }
    await this.#counters.createIndex({ k: 1, t: 1 }, { name: "scope_buckets", maxTimeMS });
    await this.#scopes.createIndex({ "block.until": 1 }, { name: "blocks_in_force", sparse: true, maxTimeMS });
    if (!ttl && this.#options.purgeIntervalMs > 0 && !this.#purgeTimer && !this.#closed) {
      this.#purgeTimer = setInterval(() => {
        this.purge().then(
          () => this.#purgeOutage.succeeded(),
          (error: unknown) => this.#purgeOutage.failed(error, "fraud state purge failed; retrying on the next round"),
        );
      }, this.#options.purgeIntervalMs);
      this.#purgeTimer.unref();
    }
  }
}

function toBucket(document: CounterDocument): Bucket {
  return { start: document.t, sends: document.s ?? 0, verified: document.v ?? 0, newSends: document.n ?? 0, newVerified: document.c ?? 0 };
}

/** The indexes of upserts that lost a race to create their bucket, when that is all that failed. */
function duplicateUpserts(error: unknown): number[] | undefined {
  if (!(error instanceof MongoBulkWriteError)) return undefined;
  const errors = ([] as Array<{ index: number; code?: number; errmsg?: string }>).concat(error.writeErrors as never);
  if (errors.length === 0) return undefined;
  const duplicate = (e: { code?: number; errmsg?: string }) =>
    e.code === 11000 || e.code === 11001 || /UNIQUE constraint failed|duplicate key/i.test(e.errmsg ?? "");
  return errors.every(duplicate) ? errors.map((e) => e.index) : undefined;
}
