import { memoryStoreModule } from "./memory/index.js";
import { type StoreModule, storeConfigSchemasOf } from "./module.js";
import { mongoStoreModule } from "./mongo/index.js";

/**
 * Every store type verifyd knows. The `store:` config schema (config.ts) and
 * createStore (create-store.ts) are both built from this list, so adding a
 * database is its folder plus one line here.
 */
export const STORE_MODULES = [memoryStoreModule, mongoStoreModule] as const;

/** Each module's config schema, in catalog order: the members of the `store:` union. */
export const STORE_CONFIG_SCHEMAS = storeConfigSchemasOf(STORE_MODULES);

export type StoreType = (typeof STORE_MODULES)[number]["type"];

const BY_TYPE: ReadonlyMap<string, StoreModule> = new Map(STORE_MODULES.map((module) => [module.type, module as StoreModule]));

/** The catalog's module for a store type; throws for a type the catalog does not list. */
export function storeModule(type: StoreType): StoreModule {
  const found = BY_TYPE.get(type);
  if (!found) throw new Error(`no store module of type "${type}"`);
  return found;
}
