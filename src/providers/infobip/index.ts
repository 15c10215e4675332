import type { ProviderModule } from "../module.js";
import { infobipConfigSchema } from "./config.js";
import { InfobipProvider } from "./infobip.js";

export const infobipModule: ProviderModule<typeof infobipConfigSchema> = {
  type: "infobip",
  configSchema: infobipConfigSchema,
  statusQueries: true,
  create: (config, context) => new InfobipProvider(config, context),
};
