import { z } from "zod";
import { STORE_CONFIG_SCHEMAS } from "./catalog.js";

export { memoryStoreSchema } from "./memory/index.js";
export { type MongoStoreConfig, mongoStoreSchema } from "./mongo/config.js";

/** `store:` in the config: one member per store type in the catalog, picked by `type`. */
export const storeSchema = z.discriminatedUnion("type", STORE_CONFIG_SCHEMAS);

export type StoreConfig = z.output<typeof storeSchema>;
