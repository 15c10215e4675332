import { mongoLimiter } from "../limits/mongo-limiter.js";
import type { LimiterFactory } from "../limits/rate-limits.js";
import type { ScoreStatsSync } from "../routing/score-sync.js";
import type { Logger } from "../verification/service.js";
import type { StoreConfig } from "./config.js";
import { MemoryStore } from "./memory/memory-store.js";
import { MongoStore } from "./mongo/mongo-store.js";
import { MongoScoreStats } from "./mongo/score-stats.js";
import type { VerificationStore } from "./store.js";

export interface CreatedStore {
  store: VerificationStore;
  /** Rate limiters that share their counters through the store's database; undefined keeps them in memory. */
  limiterFactory?: LimiterFactory;
  /** Where instances add up the scorer's statistics, given its bucket length and window; undefined keeps them local. */
  scoreStats?: (scoring: { bucketMs: number; windowMs: number }) => ScoreStatsSync;
}

/**
 * Builds the configured store. A MongoDB store starts even when the database
 * is unreachable: verifyd then reports not ready and answers UNAVAILABLE until
 * the database is back, without a restart.
 *
 * @example
 * const { store, limiterFactory, scoreStats } = await createStore(config.store, { now: Date.now, logger });
 */
export async function createStore(config: StoreConfig, options: { now: () => number; logger: Logger }): Promise<CreatedStore> {
  switch (config.type) {
    case "memory":
      return { store: new MemoryStore({ retentionMs: config.retention, now: options.now }) };
    case "mongodb": {
      const store = new MongoStore({
        uri: config.uri,
        database: config.database,
        retentionMs: config.retention,
        writeConcern: config.write_concern,
        timeouts: {
          serverSelectionMs: config.timeouts.server_selection,
          connectMs: config.timeouts.connect,
          operationMs: config.timeouts.operation,
        },
        eventPollIntervalMs: config.poll_interval,
        purgeIntervalMs: config.purge_interval,
        writeMode: config.write_mode,
        now: options.now,
        logger: options.logger,
      });
      await store.start();
      return {
        store,
        limiterFactory: mongoLimiter(store.client, config.database),
        scoreStats: (scoring) => new MongoScoreStats({ db: store.db, setUp: () => store.whenSetUp(), maxTimeMS: config.timeouts.operation, ...scoring }),
      };
    }
  }
}
