import type { z } from "zod";
import type { ProviderAdapter, ProviderContext } from "./adapter.js";
import type { ProviderBaseConfig } from "./base-config.js";

/**
 * A provider type's config schema: a zod object (so the config can pick it
 * out of a discriminated union by `type`) whose output has the keys every
 * provider shares.
 */
export type ProviderConfigSchema = z.ZodType<ProviderBaseConfig> & z.core.$ZodTypeDiscriminable;

/**
 * One provider type, as its folder exports it: what its config looks like
 * and how to build an adapter from that config. src/providers/catalog.ts
 * lists every module; the config schema and the registry are both built from
 * that list, so a new provider is one folder and one line there.
 *
 * @example
 * export const twilioModule: ProviderModule<typeof twilioConfigSchema> = {
 *   type: "twilio",
 *   configSchema: twilioConfigSchema,
 *   statusQueries: true,
 *   create: (config, context) => new TwilioProvider(config, context),
 * };
 */
export interface ProviderModule<Schema extends ProviderConfigSchema = ProviderConfigSchema> {
  /** The `type:` value in the config; the schema's `type` literal says the same. */
  readonly type: z.output<Schema>["type"];
  readonly configSchema: Schema;
  /**
   * Whether adapters of this type implement queryStatus. The schema agrees:
   * `status_poll` defaults to true where this is true and is refused where it
   * is false (a catalog test keeps the two in step).
   */
  readonly statusQueries: boolean;
  // Method syntax on purpose: it lets a module typed for its own schema stand
  // in the catalog's list of modules typed for any schema.
  create(config: z.output<Schema>, context: ProviderContext): ProviderAdapter;
}

/** The config schemas of a tuple of modules, as a tuple (what z.discriminatedUnion takes). */
export type ConfigSchemasOf<Modules extends readonly ProviderModule[]> = { readonly [K in keyof Modules]: Modules[K]["configSchema"] };

/** The parsed config of any module in the tuple. */
export type ConfigOf<Modules extends readonly ProviderModule[]> = z.output<Modules[number]["configSchema"]>;

/** Picks each module's schema, keeping the tuple's order and element types. */
export function configSchemasOf<const Modules extends readonly [ProviderModule, ...ProviderModule[]]>(modules: Modules): ConfigSchemasOf<Modules> {
  return modules.map((module) => module.configSchema) as unknown as ConfigSchemasOf<Modules>;
}
