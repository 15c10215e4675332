import type { StoreModule } from "../module.js";
import { mongoStoreSchema } from "./config.js";

/**
 * A MongoDB store starts even when the database is unreachable: verifyd then
 * reports not ready and answers UNAVAILABLE until the database is back,
 * without a restart. Rate limits and provider scores are shared through the
 * same database.
 */
export const mongoStoreModule: StoreModule<typeof mongoStoreSchema> = {
  type: "mongodb",
  configSchema: mongoStoreSchema,
  sharedByInstances: true,
  async create(config, options) {
    // Loaded here, not at the top: the catalog (and so every config parse and
    // every memory-store run) imports this module, and only a mongodb store
    // needs the driver.
    const [{ MongoStore }, { MongoScoreStats }, { mongoLimiter }, { MongoFraudState }] = await Promise.all([
      import("./mongo-store.js"),
      import("./score-stats.js"),
      import("./mongo-limiter.js"),
      import("./fraud-state.js"),
    ]);
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
      heartbeatIntervalMs: config.heartbeat_interval,
      eventPollIntervalMs: config.poll_interval,
      purgeIntervalMs: config.purge_interval,
      writeMode: config.write_mode,
      now: () => options.now(),
      logger: options.logger,
    });
    await store.start();
    return {
      store,
      limiterFactory: mongoLimiter(store.client, config.database),
      scoreStats: (scoring) => new MongoScoreStats({ db: store.db, setUp: () => store.whenSetUp(), maxTimeMS: config.timeouts.operation, ...scoring }),
      fraudState: (windows) =>
        new MongoFraudState({
          db: store.db,
          setUp: () => store.whenSetUp(),
          windows,
          maxTimeMS: config.timeouts.operation,
          purgeIntervalMs: config.purge_interval,
          now: () => options.now(),
          logger: options.logger,
        }),
    };
  },
};
