import type { Config } from "../config/schema.js";
import { Gateway } from "../gateway/gateway.js";
import type { ProviderAdapter } from "../providers/adapter.js";
import { createProviders } from "../providers/registry.js";
import { type ProviderSettings, providerSettings } from "../providers/settings.js";
import type { AppTelemetry } from "../telemetry/app-telemetry.js";
import type { Clock } from "../verification/ports.js";
import type { ReceiptRelay } from "./receipt-relay.js";

export interface BuiltProviders {
  adapters: ReadonlyMap<string, ProviderAdapter>;
  gateway: Gateway;
  /** Price of one message to a country. */
  costOf(provider: string, country: string): number;
}

/**
 * The providers subsystem: one adapter per configured provider, all reached
 * through the one gateway (timeout, breaker, tracing), built here and nowhere
 * else.
 */
export function buildProviders(
  config: Config,
  deps: { clock: Clock; inbox: ReceiptRelay; publicUrl: string; observability: Pick<AppTelemetry, "traceCalls"> },
): BuiltProviders {
  const adapters = createProviders(config.providers, {
    receipts: { report: (receipt) => Promise.resolve(deps.inbox.reportDetached(receipt)) },
    now: () => deps.clock.now(),
  });
  const settings = new Map<string, ProviderSettings>(config.providers.map((provider) => [provider.name, providerSettings(provider)]));
  const settingsOf = (name: string): ProviderSettings => {
    const found = settings.get(name);
    if (!found) throw new Error(`no settings for provider ${name}`);
    return found;
  };
  const gateway = new Gateway({
    adapters,
    settings: settingsOf,
    publicUrl: () => deps.publicUrl,
    now: () => deps.clock.now(),
    decorate: deps.observability.traceCalls,
  });
  const costOf = (provider: string, country: string): number => {
    const found = settings.get(provider);
    return found ? (found.costByCountry[country] ?? found.cost) : 0;
  };
  return { adapters, gateway, costOf };
}
