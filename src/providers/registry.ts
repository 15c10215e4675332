import type { ProviderConfig } from "../config/schema.js";
import type { ProviderAdapter, ReceiptSink } from "./adapter.js";
import { SimulatorProvider } from "./simulator/simulator.js";

/** One adapter per configured provider, keyed by name. */
export function createProviders(configs: readonly ProviderConfig[], receipts: ReceiptSink): Map<string, ProviderAdapter> {
  const providers = new Map<string, ProviderAdapter>();
  for (const config of configs) {
    switch (config.type) {
      case "simulator":
        providers.set(config.name, new SimulatorProvider(config, receipts));
        break;
    }
  }
  return providers;
}
