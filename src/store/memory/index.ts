import { z } from "zod";
import { duration } from "../../schema/zod-types.js";
import type { StoreModule } from "../module.js";
import { MemoryStore } from "./memory-store.js";

export const memoryStoreSchema = z.strictObject({
  type: z.literal("memory"),
  /** How long finished verifications stay readable. */
  retention: duration.default(86_400_000),
});

export type MemoryStoreConfig = z.output<typeof memoryStoreSchema>;

/** One process's memory: nothing to connect to, nothing shared. */
export const memoryStoreModule: StoreModule<typeof memoryStoreSchema> = {
  type: "memory",
  configSchema: memoryStoreSchema,
  sharedByInstances: false,
  create: async (config, options) => ({ store: new MemoryStore({ retentionMs: config.retention, now: () => options.now() }) }),
};
