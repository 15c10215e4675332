import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COLLECTIONS, INDEX_NAMES } from "../../src/store/mongo/indexes.js";
import { MongoStore, type MongoStoreOptions, type WriteMode } from "../../src/store/mongo/mongo-store.js";
import { VerifyError } from "../../src/verification/errors.js";
import { type MongoTestServer, mongoServerAvailability, startMongoServer } from "../support/ferretdb.js";
import { makeRecord, storeContract } from "./store-contract.js";

const availability = mongoServerAvailability();

describe.skipIf(!availability.available)("MongoStore", () => {
  let server: MongoTestServer;
  /** FerretDB v1 evaluates an update's filter and writes the match back as two steps. */
  let filteredUpdatesAreAtomic: boolean;

  beforeAll(async () => {
    server = await startMongoServer();
    const client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 5_000 }).connect();
    const buildInfo = await client.db("admin").command({ buildInfo: 1 });
    filteredUpdatesAreAtomic = typeof buildInfo.ferretdbVersion !== "string";
    await client.close();
  });
  afterAll(async () => {
    await server?.close();
  });

  function openStore(database: string, options: Partial<MongoStoreOptions> = {}): MongoStore {
    return new MongoStore({ uri: server.uri, database, retentionMs: 86_400_000, eventPollIntervalMs: 50, ...options });
  }

  for (const writeMode of ["conditional", "fenced"] satisfies WriteMode[]) {
    storeContract(`MongoStore (write_mode ${writeMode})`, async () => {
      const database = server.uniqueDatabase("contract");
      const store = openStore(database, { writeMode });
      const second = openStore(database, { writeMode });
      await store.start();
      await second.start();
      return {
        store,
        second,
        atomicWrites: writeMode === "fenced" || filteredUpdatesAreAtomic,
        async close() {
          await store.close();
          await second.close();
        },
      };
    });
  }

  describe("on MongoDB specifics", () => {
    it("chooses fenced writes on FerretDB and conditional updates on MongoDB by itself", async () => {
      const store = openStore(server.uniqueDatabase("mode"));
      await store.start();
      expect(store.writeMode).toBe(filteredUpdatesAreAtomic ? "conditional" : "fenced");
      await store.close();
    });

    it("creates its indexes at start-up, and a second start-up changes nothing", async () => {
      const database = server.uniqueDatabase("indexes");
      const first = openStore(database);
      await first.start();
      const second = openStore(database);
      await second.start();
      expect(await second.ready()).toBe(true);
      const names = (await first.db.collection(COLLECTIONS.verifications).indexes()).map((index) => index.name);
      expect(names).toEqual(
        expect.arrayContaining([
          INDEX_NAMES.purge,
          INDEX_NAMES.idempotencyKey,
          INDEX_NAMES.activePhoneNumber,
          INDEX_NAMES.dueTimers,
          INDEX_NAMES.providerMessages,
          INDEX_NAMES.listNewestFirst,
        ]),
      );
      const limiterIndexes = (await first.db.collection(COLLECTIONS.rateLimits).indexes()).map((index) => index.name);
      expect(limiterIndexes).toEqual(expect.arrayContaining([INDEX_NAMES.rateLimitExpiry, INDEX_NAMES.rateLimitKey]));
      await first.close();
      await second.close();
    });

    it("keeps neither the code's hash nor its sealed copy in stored events", async () => {
      const store = openStore(server.uniqueDatabase("events"));
      await store.start();
      const record = makeRecord();
      await store.insert(record);
      const next = { ...record, sequence: 1 };
      await store.replace(next, 0, [{ verificationId: record.id, sequence: 1, type: "submitted", verification: next, at: Date.now() }]);
      const raw = await store.db.collection(COLLECTIONS.verifications).findOne({ _id: record.id as never });
      expect(raw?.events).toHaveLength(1);
      expect(JSON.stringify(raw?.events)).not.toContain(record.codeHash);
      expect(JSON.stringify(raw?.events)).not.toContain(record.sealedCode);
      const [event] = await store.readEvents(record.id, 0);
      expect(event?.verification.codeHash).toBe("");
      expect(event?.verification.sealedCode).toBeUndefined();
      await store.close();
    });

    it("purges what is past its retention, whether or not the server has TTL indexes", async () => {
      const now = Date.now();
      const store = openStore(server.uniqueDatabase("purge"), { retentionMs: 1_000, purgeIntervalMs: 0 });
      await store.start();
      const old = makeRecord({ status: "expired", createdAt: now - 10_000, updatedAt: now - 5_000, expiresAt: now - 5_000, sealedCode: undefined });
      const recent = makeRecord({ status: "verified", createdAt: now, updatedAt: now, expiresAt: now + 600_000, sealedCode: undefined });
      await store.insert(old);
      await store.insert(recent);
      // FerretDB has no TTL monitor: the store's purge (run every purge_interval there) does its job.
      await store.purge();
      expect(await store.get(old.id)).toBeUndefined();
      expect(await store.get(recent.id)).toBeDefined();
      if (server.kind === "ferretdb") expect(store.ttlIndexes).toBe(false);
      await store.close();
    });

    it("applies a change whose fence was committed by a writer that died before applying it", async () => {
      const store = openStore(server.uniqueDatabase("fence"), { writeMode: "fenced" });
      await store.start();
      const record = makeRecord();
      await store.insert(record);
      // What a writer leaves when it dies between inserting its fence and updating the record.
      await store.db.collection(COLLECTIONS.fences).insertOne({
        _id: `${record.id}@0` as never,
        change: { set: { status: "verified", version: 1, verifiedAt: 123 }, unset: ["sealedCode", "activePhoneNumber"], pushEvents: [] },
        purgeAt: new Date(Date.now() + 60_000),
      });
      expect(await store.get(record.id)).toMatchObject({ status: "verified", version: 1, verifiedAt: 123 });
      expect(await store.findActiveByPhone(record.phoneNumber)).toBeUndefined();
      // And nobody can write from the version the fence took.
      expect(await store.replace({ ...record, status: "canceled" }, 0)).toBeUndefined();
      await store.close();
    });

    it("lists a record with a committed but unapplied change as get() reads it, and leaves it out of a filter it no longer matches", async () => {
      const store = openStore(server.uniqueDatabase("fenced-list"), { writeMode: "fenced" });
      await store.start();
      const record = makeRecord();
      await store.insert(record);
      // What a writer leaves when it dies between inserting its fence and updating the record.
      await store.db.collection(COLLECTIONS.fences).insertOne({
        _id: `${record.id}@0` as never,
        change: { set: { status: "canceled", version: 1 }, unset: ["sealedCode", "activePhoneNumber"], pushEvents: [] },
        purgeAt: new Date(Date.now() + 60_000),
      });

      // The stored document still says "submitted": the filter finds it, the settled record no longer matches.
      expect(await store.listVerifications({ statuses: ["submitted"] })).toEqual({ verifications: [] });
      const [listed] = (await store.listVerifications({})).verifications;
      expect(listed).toMatchObject({ id: record.id, status: "canceled", version: 1 });
      await store.close();
    });

    it("answers UNAVAILABLE, and is not ready, while the database cannot be reached", async () => {
      const store = new MongoStore({
        // Nothing listens on port 9 here.
        uri: "mongodb://127.0.0.1:9/",
        database: "unreachable",
        retentionMs: 60_000,
        timeouts: { serverSelectionMs: 300, connectMs: 300, operationMs: 500 },
      });
      await store.start();
      expect(await store.ready()).toBe(false);
      const error = await store.get("ver_x").catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VerifyError);
      expect((error as VerifyError).kind).toBe("unavailable");
      const insertError = await store.insert(makeRecord()).catch((caught: unknown) => caught);
      expect((insertError as VerifyError).kind).toBe("unavailable");
      await store.close();
    });
  });
});
