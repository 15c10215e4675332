import type { ProviderModule } from "../module.js";
import { sinchConfigSchema } from "./config.js";
import { SinchProvider } from "./sinch.js";

export const sinchModule: ProviderModule<typeof sinchConfigSchema> = {
  type: "sinch",
  configSchema: sinchConfigSchema,
  statusQueries: true,
  create: (config, context) => new SinchProvider(config, context),
};
