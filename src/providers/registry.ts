import type { ProviderConfig } from "../config/schema.js";
import type { ProviderAdapter, ProviderContext } from "./adapter.js";
import { SimulatorProvider } from "./simulator/simulator.js";

/** One adapter per configured provider, keyed by name. */
export function createProviders(configs: readonly ProviderConfig[], context: ProviderContext): Map<string, ProviderAdapter> {
  const providers = new Map<string, ProviderAdapter>();
  for (const config of configs) providers.set(config.name, createProvider(config, context));
  return providers;
}

function createProvider(config: ProviderConfig, context: ProviderContext): ProviderAdapter {
  switch (config.type) {
    case "simulator":
      return new SimulatorProvider(config, context.receipts);
  }
}
