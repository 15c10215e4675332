import type { ProviderModule } from "../module.js";
import { plivoConfigSchema } from "./config.js";
import { PlivoProvider } from "./plivo.js";

export const plivoModule: ProviderModule<typeof plivoConfigSchema> = {
  type: "plivo",
  configSchema: plivoConfigSchema,
  statusQueries: true,
  create: (config, context) => new PlivoProvider(config, context),
};
