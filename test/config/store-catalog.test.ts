import { describe, expect, test } from "vitest";
import { ConfigError, parseConfig } from "../../src/config/load-config.js";
import { STORE_CONFIG_SCHEMAS, STORE_MODULES, storeModule } from "../../src/store/catalog.js";
import { storeSchema } from "../../src/store/config.js";
import { createStore } from "../../src/store/create-store.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";

const PROVIDERS = `
providers: [{ name: sim, type: simulator, channels: [sms] }]
routing: { default: [sim] }
`;

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe("the store catalog", () => {
  test("lists each store type once, and the store: union is made of its schemas in catalog order", () => {
    const types = STORE_MODULES.map((module) => module.type);

    expect(types).toEqual(["memory", "mongodb"]);
    expect(storeSchema.options).toEqual(STORE_CONFIG_SCHEMAS);
    expect(STORE_CONFIG_SCHEMAS).toEqual(STORE_MODULES.map((module) => module.configSchema));
  });

  test("each module's schema discriminates on its own type", () => {
    for (const module of STORE_MODULES) expect(module.configSchema._zod.propValues?.type).toEqual(new Set([module.type]));
  });

  test("a store type no module registers is refused, naming the key", () => {
    expect(() => parseConfig(`store: { type: sqlite }\n${PROVIDERS}`, {})).toThrow(/store\.type/);
  });

  test("a store shared by instances requires security.code_hmac_key; one that is not does not", () => {
    expect(storeModule("mongodb").sharedByInstances).toBe(true);
    expect(storeModule("memory").sharedByInstances).toBe(false);

    expect(() => parseConfig(`store: { type: mongodb, uri: "mongodb://localhost" }\n${PROVIDERS}`, {})).toThrow(ConfigError);
    expect(() => parseConfig(`store: { type: mongodb, uri: "mongodb://localhost" }\n${PROVIDERS}`, {})).toThrow(
      "security.code_hmac_key: required with store.type mongodb",
    );
    expect(parseConfig(`store: { type: memory }\n${PROVIDERS}`, {}).store).toEqual({ type: "memory", retention: 86_400_000, max_records: 200_000 });
    expect(parseConfig(PROVIDERS, {}).store).toEqual({ type: "memory", retention: 86_400_000, max_records: 200_000 });
  });

  test("createStore builds the configured type through its module", async () => {
    const created = await createStore({ type: "memory", retention: 1_000, max_records: 100 }, { now: () => 0, logger: quiet });

    expect(created.store).toBeInstanceOf(MemoryStore);
    expect(created.limiterFactory).toBeUndefined();
    expect(created.scoreStats).toBeUndefined();
    await created.store.close();
  });

  test("a mongodb store is built (driver loaded on demand) even while the database is unreachable, and says it is not ready", async () => {
    const config = storeSchema.parse({ type: "mongodb", uri: "mongodb://127.0.0.1:9", timeouts: { server_selection: "50ms", connect: "50ms" } });

    const created = await createStore(config, { now: () => 0, logger: quiet });

    expect(created.limiterFactory).toBeTypeOf("function");
    expect(created.scoreStats).toBeTypeOf("function");
    expect(await created.store.ready()).toBe(false);
    await created.store.close();
  });
});
