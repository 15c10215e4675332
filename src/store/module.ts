import type { z } from "zod";
import type { FraudState, FraudWindows } from "../fraud/state.js";
import type { LimiterFactory } from "../limits/rate-limits.js";
import type { ScoreStatsSync } from "../routing/score-sync.js";
import type { Logger, VerificationStore } from "../verification/ports.js";

/** What a store module builds: the store, and what else the database can share between instances. */
export interface CreatedStore {
  store: VerificationStore;
  /** Rate limiters that share their counters through the store's database; undefined keeps them in memory. */
  limiterFactory?: LimiterFactory;
  /** Where instances add up the scorer's statistics, given its bucket length and window; undefined keeps them local. */
  scoreStats?: (scoring: { bucketMs: number; windowMs: number }) => ScoreStatsSync;
  /** The fraud guard's counters and blocks, kept where every instance sharing the store sees them. */
  fraudState: (windows: FraudWindows) => FraudState;
  /**
   * For stores with a bound on what they hold (the memory store's
   * `max_records`): how many finished verifications were dropped before their
   * retention to stay within it, since start. Read at scrape time; undefined
   * for stores without a bound.
   */
  evictions?: () => number;
}

/** What a store gets besides its own config. */
export interface StoreOptions {
  /** Epoch ms; injected so tests control retention and leases. */
  now(): number;
  logger: Logger;
}

/** A store type's config schema: a zod object discriminated by its `type` literal. */
export type StoreConfigSchema = z.ZodType<{ type: string }> & z.core.$ZodTypeDiscriminable;

/**
 * One store type, as its folder exports it. src/store/catalog.ts lists every
 * module; the `store:` config schema and createStore are both built from
 * that list, so a new database is one folder and one line there.
 *
 * @example
 * export const memoryStoreModule: StoreModule<typeof memoryStoreSchema> = {
 *   type: "memory",
 *   configSchema: memoryStoreSchema,
 *   sharedByInstances: false,
 *   async create(config, options) {
 *     const store = new MemoryStore({ retentionMs: config.retention, maxRecords: config.max_records, now: options.now });
 *     return { store, evictions: () => store.evicted };
 *   },
 * };
 */
export interface StoreModule<Schema extends StoreConfigSchema = StoreConfigSchema> {
  /** The `store.type` value in the config; the schema's `type` literal says the same. */
  readonly type: z.output<Schema>["type"];
  readonly configSchema: Schema;
  /**
   * Whether several verifyd instances can share this store. Then they must
   * share `security.code_hmac_key` too, or a code sent by one could never be
   * checked by another; the config schema requires it.
   */
  readonly sharedByInstances: boolean;
  // Method syntax on purpose: it lets a module typed for its own schema stand in the catalog's list.
  create(config: z.output<Schema>, options: StoreOptions): Promise<CreatedStore>;
}

/** The config schemas of a tuple of store modules, as a tuple (what z.discriminatedUnion takes). */
export type StoreConfigSchemasOf<Modules extends readonly StoreModule[]> = { readonly [K in keyof Modules]: Modules[K]["configSchema"] };

/** Picks each module's schema, keeping the tuple's order and element types. */
export function storeConfigSchemasOf<const Modules extends readonly [StoreModule, ...StoreModule[]]>(modules: Modules): StoreConfigSchemasOf<Modules> {
  return modules.map((module) => module.configSchema) as unknown as StoreConfigSchemasOf<Modules>;
}
