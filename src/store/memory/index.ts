import { z } from "zod";
import { duration } from "../../schema/zod-types.js";
import type { StoreModule } from "../module.js";
import { MemoryFraudState } from "./fraud-state.js";
import { DEFAULT_MAX_RECORDS, MemoryStore } from "./memory-store.js";

export const memoryStoreSchema = z.strictObject({
  type: z.literal("memory"),
  /** How long finished verifications stay readable. */
  retention: duration.default(86_400_000),
  /**
   * Verifications held at most (about 1.3 KiB of heap each; see
   * DEFAULT_MAX_RECORDS for the default's sizing). Past it the oldest finished
   * ones are dropped before their retention, active ones never; with only
   * active ones left, Start answers RESOURCE_EXHAUSTED.
   */
  max_records: z.number().int().min(1).default(DEFAULT_MAX_RECORDS),
});

export type MemoryStoreConfig = z.output<typeof memoryStoreSchema>;

/**
 * How often expired records are purged: a tenth of the retention, between
 * 1 s and a minute, so a short retention is honoured closely and a long one
 * costs a scan of the finished records once a minute.
 */
function purgeIntervalFor(retentionMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.round(retentionMs / 10)));
}

/** One process's memory: nothing to connect to, nothing shared. */
export const memoryStoreModule: StoreModule<typeof memoryStoreSchema> = {
  type: "memory",
  configSchema: memoryStoreSchema,
  sharedByInstances: false,
  async create(config, options) {
    const store = new MemoryStore({
      retentionMs: config.retention,
      maxRecords: config.max_records,
      purgeIntervalMs: purgeIntervalFor(config.retention),
      now: () => options.now(),
    });
    return { store, evictions: () => store.evicted, fraudState: (windows) => new MemoryFraudState(windows, { now: () => options.now() }) };
  },
};
