import type { ProviderModule } from "../module.js";
import { twilioConfigSchema } from "./config.js";
import { TwilioProvider } from "./twilio.js";

export const twilioModule: ProviderModule<typeof twilioConfigSchema> = {
  type: "twilio",
  configSchema: twilioConfigSchema,
  statusQueries: true,
  create: (config, context) => new TwilioProvider(config, context),
};
