import type { ProviderAdapter, ProviderContext } from "./adapter.js";
import { type ProviderConfig, providerModule } from "./catalog.js";

/**
 * One adapter per configured provider, keyed by name, each built by its
 * type's module with the same context.
 *
 * @example
 * const adapters = createProviders(config.providers, { receipts, now: () => clock.now() });
 */
export function createProviders(configs: readonly ProviderConfig[], context: ProviderContext): Map<string, ProviderAdapter> {
  const providers = new Map<string, ProviderAdapter>();
  for (const config of configs) providers.set(config.name, createProvider(config, context));
  return providers;
}

function createProvider(config: ProviderConfig, context: ProviderContext): ProviderAdapter {
  // The config was parsed by the union of the catalog's schemas, whose `type`
  // literal picked this same module's schema: the config is the module's own.
  const adapter = providerModule(config.type).create(config, context);
  if (config.status_poll && !adapter.queryStatus) {
    // The schema refuses status_poll for types that declare no status queries; this catches a module that says it can and cannot.
    throw new Error(`provider ${config.name}: type ${config.type} declares status queries but its adapter has no queryStatus`);
  }
  return adapter;
}
