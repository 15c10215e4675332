/**
 * The scorer's statistics shared through MongoDB (store/mongo/score-stats.ts):
 * what instances push is summed per bucket, read back by every instance, and
 * deleted once it has left every window.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeriesBucket, TTD_BINS } from "../../src/routing/scorer.js";
import { COLLECTIONS, INDEX_NAMES } from "../../src/store/mongo/indexes.js";
import { MongoStore } from "../../src/store/mongo/mongo-store.js";
import { MongoScoreStats, type ProviderStatsDocument } from "../../src/store/mongo/score-stats.js";
import { VerifyError } from "../../src/verification/errors.js";
import { type MongoTestServer, mongoServerAvailability, startMongoServer } from "../support/ferretdb.js";

const availability = mongoServerAvailability();

const BUCKET_MS = 60_000;
const WINDOW_MS = 600_000;

function bucket(start: number, counts: Partial<SeriesBucket> = {}): SeriesBucket {
  return {
    provider: "sim-a",
    country: "DE",
    channel: "sms",
    start,
    accepted: 0,
    rejected: 0,
    delivered: 0,
    undelivered: 0,
    verified: 0,
    spend: 0,
    breakerOpens: 0,
    ttd: new Array<number>(TTD_BINS).fill(0),
    ...counts,
  };
}

function histogram(bins: Record<number, number>): number[] {
  const ttd = new Array<number>(TTD_BINS).fill(0);
  for (const [bin, count] of Object.entries(bins)) ttd[Number(bin)] = count;
  return ttd;
}

describe.skipIf(!availability.available)("MongoScoreStats", () => {
  let server: MongoTestServer;
  const opened: MongoStore[] = [];
  const currentBucket = () => Date.now() - (Date.now() % BUCKET_MS);

  beforeAll(async () => {
    server = await startMongoServer();
  });
  afterAll(async () => {
    for (const store of opened) await store.close();
    await server?.close();
  });

  /** An instance: its own store (client, set-up) on the database, and the shared statistics through it. */
  async function instance(database: string, bucketMs = BUCKET_MS) {
    const store = new MongoStore({ uri: server.uri, database, retentionMs: 86_400_000, purgeIntervalMs: 0 });
    opened.push(store);
    await store.start();
    const stats = new MongoScoreStats({ db: store.db, setUp: () => store.whenSetUp(), bucketMs, windowMs: WINDOW_MS, maxTimeMS: 5_000 });
    return { store, stats };
  }

  it("two instances on one database see each other's pushes summed", async () => {
    const database = server.uniqueDatabase("score_sum");
    const a = await instance(database);
    const b = await instance(database);
    const start = currentBucket();

    await a.stats.push([bucket(start, { accepted: 3, delivered: 2, spend: 0.03, ttd: histogram({ 1: 2 }) }), bucket(start, { provider: "sim-b", rejected: 4 })]);
    await b.stats.push([bucket(start, { accepted: 2, verified: 1, undelivered: 1, breakerOpens: 1, spend: 0.02, ttd: histogram({ 1: 1, 5: 1 }) })]);
    await a.stats.push([bucket(start - BUCKET_MS, { accepted: 1 })]);

    for (const reader of [a, b]) {
      const pulled = await reader.stats.pull(start - WINDOW_MS);
      const byKey = new Map(pulled.map((found) => [`${found.provider}@${found.start}`, found]));
      expect(pulled).toHaveLength(3);
      expect(byKey.get(`sim-a@${start}`)).toEqual(
        bucket(start, {
          accepted: 5,
          delivered: 2,
          verified: 1,
          undelivered: 1,
          breakerOpens: 1,
          spend: expect.closeTo(0.05, 9) as never,
          ttd: histogram({ 1: 3, 5: 1 }),
        }),
      );
      expect(byKey.get(`sim-b@${start}`)).toEqual(bucket(start, { provider: "sim-b", rejected: 4 }));
      expect(byKey.get(`sim-a@${start - BUCKET_MS}`)).toEqual(bucket(start - BUCKET_MS, { accepted: 1 }));
    }
  });

  it("keeps one document per provider, country, channel and bucket, with the histogram as an array and an expiry after the window", async () => {
    const { store, stats } = await instance(server.uniqueDatabase("score_shape"));
    const start = currentBucket();
    await stats.push([bucket(start, { accepted: 1, delivered: 1, ttd: histogram({ 2: 1 }) })]);
    await stats.push([bucket(start, { accepted: 1, delivered: 1, ttd: histogram({ 4: 1 }) })]);

    const documents = await store.db.collection<ProviderStatsDocument>(COLLECTIONS.providerStats).find().toArray();
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({ provider: "sim-a", country: "DE", channel: "sms", bucketMs: BUCKET_MS, bucketStart: start, accepted: 2, delivered: 2 });
    expect(documents[0]!.ttd).toEqual(histogram({ 2: 1, 4: 1 }));
    expect(documents[0]!.expireAt.getTime()).toBe(start + BUCKET_MS + WINDOW_MS);
    const indexes = await store.db.collection(COLLECTIONS.providerStats).indexes();
    expect(indexes.map((index) => index.name)).toEqual(expect.arrayContaining([INDEX_NAMES.scoreBucketExpiry, INDEX_NAMES.scoreWindow]));
    // FerretDB refuses TTL indexes: the store then purges by itself.
    if (store.ttlIndexes) expect(indexes.find((index) => index.name === INDEX_NAMES.scoreBucketExpiry)?.expireAfterSeconds).toBe(0);
  });

  it("reads back only buckets after the given start, cut to its own bucket length", async () => {
    const database = server.uniqueDatabase("score_window");
    const minutes = await instance(database);
    const fiveMinutes = await instance(database, 5 * BUCKET_MS);
    const start = currentBucket() - (currentBucket() % (5 * BUCKET_MS));
    await minutes.stats.push([bucket(start, { accepted: 1 }), bucket(start - WINDOW_MS, { accepted: 7 })]);
    await fiveMinutes.stats.push([bucket(start, { accepted: 100 })]);

    expect(await minutes.stats.pull(start - WINDOW_MS)).toEqual([bucket(start, { accepted: 1 })]);
    expect(await fiveMinutes.stats.pull(start - WINDOW_MS)).toEqual([bucket(start, { accepted: 100 })]);
  });

  it("two instances creating the same bucket at the same moment both succeed, into one document", async () => {
    const database = server.uniqueDatabase("score_race");
    const a = await instance(database);
    const b = await instance(database);
    const start = currentBucket();
    const many = (provider: string) => Array.from({ length: 20 }, (_, i) => bucket(start, { provider: `${provider}${i}`, accepted: 1 }));

    await Promise.all([a.stats.push(many("p")), b.stats.push(many("p"))]);

    const pulled = await a.stats.pull(start - WINDOW_MS);
    expect(pulled).toHaveLength(20);
    // FerretDB v1 applies `$inc` as read-then-write, so a simultaneous pair may count once there; MongoDB counts both.
    for (const found of pulled) expect(found.accepted).toBeGreaterThanOrEqual(server.kind === "ferretdb" ? 1 : 2);
  });

  it("deletes buckets that have left every window, whether or not the server has TTL indexes", async () => {
    const { store, stats } = await instance(server.uniqueDatabase("score_purge"));
    const start = currentBucket();
    await stats.push([bucket(start, { accepted: 1 }), bucket(start - WINDOW_MS - 2 * BUCKET_MS, { accepted: 5 })]);
    const collection = store.db.collection(COLLECTIONS.providerStats);
    expect(await collection.countDocuments()).toBe(2);

    // FerretDB has no TTL monitor: the store's purge (run every purge_interval there) does its job.
    await store.purge();

    expect(await collection.find({}, { projection: { bucketStart: 1, _id: 0 } }).toArray()).toEqual([{ bucketStart: start }]);
  });

  it("answers UNAVAILABLE while the database cannot be reached", async () => {
    const store = new MongoStore({
      // Nothing listens on port 9 here.
      uri: "mongodb://127.0.0.1:9/",
      database: "unreachable",
      retentionMs: 60_000,
      timeouts: { serverSelectionMs: 300, connectMs: 300, operationMs: 500 },
    });
    opened.push(store);
    const stats = new MongoScoreStats({ db: store.db, setUp: () => store.whenSetUp(), bucketMs: BUCKET_MS, windowMs: WINDOW_MS, maxTimeMS: 500 });
    for (const attempt of [stats.push([bucket(currentBucket(), { accepted: 1 })]), stats.pull(0)]) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VerifyError);
      expect((error as VerifyError).kind).toBe("unavailable");
    }
  });
});
