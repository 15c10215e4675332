import type { ProviderModule } from "../module.js";
import { simulatorConfigSchema } from "./config.js";
import { SimulatorProvider } from "./simulator.js";

export const simulatorModule: ProviderModule<typeof simulatorConfigSchema> = {
  type: "simulator",
  configSchema: simulatorConfigSchema,
  statusQueries: true,
  create: (config, context) => new SimulatorProvider(config, context),
};
