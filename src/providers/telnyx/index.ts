import type { ProviderModule } from "../module.js";
import { telnyxConfigSchema } from "./config.js";
import { TelnyxProvider } from "./telnyx.js";

export const telnyxModule: ProviderModule<typeof telnyxConfigSchema> = {
  type: "telnyx",
  configSchema: telnyxConfigSchema,
  statusQueries: true,
  create: (config, context) => new TelnyxProvider(config, context),
};
