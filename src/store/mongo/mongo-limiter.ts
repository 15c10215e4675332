import type { MongoClient } from "mongodb";
import { RateLimiterMongo } from "rate-limiter-flexible";
import type { LimiterFactory } from "../../limits/rate-limits.js";
import { COLLECTIONS } from "./indexes.js";

/**
 * Limiters whose counters live in the shared database, so a caller spreading
 * requests over several instances meets one limit, not one per instance.
 * Their indexes (a TTL on `expire`, a unique `key`) are created with the
 * store's (store/mongo/indexes.ts), where a server without TTL indexes gets
 * the purge loop instead.
 */
export function mongoLimiter(client: MongoClient, database: string): LimiterFactory {
  return (name, { limit, window }) =>
    new RateLimiterMongo({
      storeClient: client,
      dbName: database,
      tableName: COLLECTIONS.rateLimits,
      keyPrefix: name,
      points: limit,
      duration: Math.max(1, Math.ceil(window / 1000)),
      disableIndexesCreation: true,
    });
}
