import type { ProviderModule } from "../module.js";
import { whatsappCloudConfigSchema } from "./config.js";
import { WhatsAppCloudProvider } from "./whatsapp-cloud.js";

export const whatsappCloudModule: ProviderModule<typeof whatsappCloudConfigSchema> = {
  type: "whatsapp-cloud",
  configSchema: whatsappCloudConfigSchema,
  // Meta offers no way to look a message up; its statuses come only by webhook.
  statusQueries: false,
  create: (config, context) => new WhatsAppCloudProvider(config, context),
};
