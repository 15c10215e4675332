import type { ProviderModule } from "../module.js";
import { vonageConfigSchema } from "./config.js";
import { VonageProvider } from "./vonage.js";

export const vonageModule: ProviderModule<typeof vonageConfigSchema> = {
  type: "vonage",
  configSchema: vonageConfigSchema,
  statusQueries: true,
  create: (config, context) => new VonageProvider(config, context),
};
