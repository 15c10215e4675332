import { generateKeyPairSync } from "node:crypto";
import { describe, expect, test } from "vitest";
import { z } from "zod";
import { providerSchema } from "../../src/config/schema.js";
import { providerBaseShape } from "../../src/providers/base-config.js";
import { PROVIDER_CONFIG_SCHEMAS, PROVIDER_MODULES, providerModule } from "../../src/providers/catalog.js";
import { configSchemasOf, type ProviderModule } from "../../src/providers/module.js";
import { createProviders } from "../../src/providers/registry.js";

/**
 * The smallest valid `providers:` entry of each type. A provider added to the
 * catalog without a row here fails the first test, so every test below
 * covers it too.
 */
const MINIMAL: Record<string, Record<string, unknown>> = {
  simulator: { channels: ["sms"] },
  twilio: { account_sid: "AC123", auth_token: "token", from: "+15005550006" },
  vonage: { api_key: "key", api_secret: "secret", from: "AcmeInc" },
  plivo: { auth_id: "MA123", auth_token: "token", from: "+14151234567" },
  telnyx: { api_key: "KEY123", from: "+18445550001", public_key: telnyxPublicKey() },
  sinch: { service_plan_id: "plan", api_token: "token", webhook_secret: "sixteen-chars-or-more" },
  infobip: { base_url: "https://xxxxx.api.infobip.com", api_key: "key", webhook_secret: "sixteen-chars-or-more" },
  "whatsapp-cloud": { phone_number_id: "1234", access_token: "token", app_secret: "secret", verify_token: "verify", template: { name: "otp" } },
};

function telnyxPublicKey(): string {
  const jwk = generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" });
  return Buffer.from(jwk.x!, "base64url").toString("base64");
}

function minimalConfig(type: string) {
  return providerSchema.parse({ name: `${type}-1`, type, ...MINIMAL[type] });
}

const context = { receipts: { report: async () => {} }, now: () => 0 };

/** The `status_poll` key of a module's schema, read through zod's object shape. */
function statusPollKey(schema: unknown): z.ZodType {
  return (schema as z.ZodObject).shape.status_poll as z.ZodType;
}

describe("the provider catalog", () => {
  test("lists each provider type once, and this test knows a config for each", () => {
    const types = PROVIDER_MODULES.map((module) => module.type);

    expect(new Set(types).size).toBe(types.length);
    expect(Object.keys(MINIMAL).sort()).toEqual([...types].sort());
  });

  test("the config's provider union is made of the catalog's schemas, in catalog order", () => {
    expect(providerSchema.options).toEqual(PROVIDER_CONFIG_SCHEMAS);
    expect(PROVIDER_CONFIG_SCHEMAS).toEqual(PROVIDER_MODULES.map((module) => module.configSchema));
  });

  test.each(PROVIDER_MODULES.map((module) => [module.type, module] as const))("the %s module's schema discriminates on its own type", (type, module) => {
    expect(module.configSchema._zod.propValues?.type).toEqual(new Set([type]));
    expect(minimalConfig(type).type).toBe(type);
  });

  test("a type no module registers is refused, naming the key", () => {
    const result = providerSchema.safeParse({ name: "x", type: "carrier-pigeon", channels: ["sms"] });

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["type"]);
  });

  test("the registry builds each configured provider with its type's module", () => {
    const configs = PROVIDER_MODULES.map((module) => minimalConfig(module.type));

    const adapters = createProviders(configs, context);

    expect([...adapters.keys()]).toEqual(configs.map((config) => config.name));
    for (const config of configs) {
      const adapter = adapters.get(config.name)!;
      expect(adapter.type).toBe(config.type);
      expect(adapter.name).toBe(config.name);
    }
  });

  test.each(PROVIDER_MODULES.map((module) => [module.type, module] as const))(
    "%s: statusQueries, the adapter's queryStatus and the status_poll key agree",
    (type, module) => {
      const adapter = providerModule(type).create(minimalConfig(type) as never, context);
      const key = statusPollKey(module.configSchema);

      expect(typeof adapter.queryStatus === "function").toBe(module.statusQueries);
      expect(key.parse(undefined)).toBe(module.statusQueries);
      expect(key.safeParse(true).success).toBe(module.statusQueries);
      expect(key.parse(false)).toBe(false);
    },
  );

  test("only the simulator keeps an outbox", () => {
    const adapters = createProviders(
      PROVIDER_MODULES.map((module) => minimalConfig(module.type)),
      context,
    );

    expect([...adapters.values()].filter((adapter) => adapter.outbox).map((adapter) => adapter.type)).toEqual(["simulator"]);
  });
});

describe("configSchemasOf", () => {
  test("turns any list of modules into the members of a union that picks each module's config by type", () => {
    const pigeonSchema = z.strictObject({ ...providerBaseShape, type: z.literal("carrier-pigeon"), loft: z.string() });
    const pigeonModule: ProviderModule<typeof pigeonSchema> = {
      type: "carrier-pigeon",
      configSchema: pigeonSchema,
      statusQueries: true,
      create: (config) => ({ name: config.name, type: config.type, channels: config.channels, cost: config.cost, send: async () => ({ providerMessageId: "1" }) }),
    };
    const simulator = providerModule("simulator");

    const union = z.discriminatedUnion("type", configSchemasOf([simulator, pigeonModule] as const));

    expect(union.parse({ name: "p", type: "carrier-pigeon", channels: ["sms"], loft: "roof" })).toMatchObject({ loft: "roof", status_poll: true });
    expect(union.parse({ name: "s", type: "simulator", channels: ["sms"] })).toHaveProperty("simulate");
    expect(union.safeParse({ name: "t", type: "twilio", channels: ["sms"] }).success).toBe(false);
  });
});
