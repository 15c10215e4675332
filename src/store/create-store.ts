import type { Logger } from "../verification/ports.js";
import { storeModule } from "./catalog.js";
import type { StoreConfig } from "./config.js";
import type { CreatedStore } from "./module.js";

export type { CreatedStore, StoreModule, StoreOptions } from "./module.js";

/**
 * Builds the configured store through its type's module (see catalog.ts).
 *
 * @example
 * const { store, limiterFactory, scoreStats } = await createStore(config.store, { now: () => clock.now(), logger });
 */
export async function createStore(config: StoreConfig, options: { now: () => number; logger: Logger }): Promise<CreatedStore> {
  // The config was parsed by the union of the catalog's schemas, whose `type` literal picked this same module's schema.
  return storeModule(config.type).create(config, options);
}
