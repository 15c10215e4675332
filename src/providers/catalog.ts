import { infobipModule } from "./infobip/index.js";
import { type ConfigOf, configSchemasOf, type ProviderModule } from "./module.js";
import { plivoModule } from "./plivo/index.js";
import { simulatorModule } from "./simulator/index.js";
import { sinchModule } from "./sinch/index.js";
import { telnyxModule } from "./telnyx/index.js";
import { twilioModule } from "./twilio/index.js";
import { vonageModule } from "./vonage/index.js";
import { whatsappCloudModule } from "./whatsapp-cloud/index.js";

/**
 * Every provider type verifyd knows. The config schema's `providers` union
 * (src/config/schema.ts) and the registry (registry.ts) are both built from
 * this list, so adding a provider is its folder plus one line here.
 */
// biome-ignore format: one provider per line, so adding one is a one-line change
export const PROVIDER_MODULES = [
  simulatorModule,
  twilioModule,
  vonageModule,
  plivoModule,
  telnyxModule,
  sinchModule,
  infobipModule,
  whatsappCloudModule,
] as const;

/** One entry of `providers:` after parsing, of any type in the catalog. */
export type ProviderConfig = ConfigOf<typeof PROVIDER_MODULES>;

export type ProviderType = ProviderConfig["type"];

/** Each module's config schema, in catalog order: the members of the config's provider union. */
export const PROVIDER_CONFIG_SCHEMAS = configSchemasOf(PROVIDER_MODULES);

const BY_TYPE: ReadonlyMap<string, ProviderModule> = new Map(PROVIDER_MODULES.map((module) => [module.type, module as ProviderModule]));

/** The catalog's module for a provider type; throws for a type the catalog does not list. */
export function providerModule(type: ProviderType): ProviderModule {
  const found = BY_TYPE.get(type);
  if (!found) throw new Error(`no provider module of type "${type}"`);
  return found;
}
