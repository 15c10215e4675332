import type { ProviderAdapter } from "../providers/adapter.js";
import { CHANNELS, type Channel } from "../verification/model.js";
import { type RouteDecision, RouteEntry } from "./router.js";

export interface RoutingTableConfig {
  default: readonly string[];
  countries: Readonly<Record<string, readonly string[]>>;
}

/**
 * Which providers may carry a message to a country, in order. A country's list
 * is the complete, ordered set for it; countries without one use the default.
 * Lists are resolved once per country and channel, so a route decision is a
 * map lookup.
 */
export class RoutingTable {
  readonly #byCountry = new Map<string, ReadonlyMap<Channel, readonly ProviderAdapter[]>>();
  readonly #fallback: ReadonlyMap<Channel, readonly ProviderAdapter[]>;

  constructor(config: RoutingTableConfig, providers: ReadonlyMap<string, ProviderAdapter>) {
    const resolve = (names: readonly string[]): ReadonlyMap<Channel, readonly ProviderAdapter[]> => {
      const adapters = names.map((name) => {
        const adapter = providers.get(name);
        if (!adapter) throw new Error(`routing names unknown provider "${name}"`);
        return adapter;
      });
      return new Map(CHANNELS.map((channel) => [channel, adapters.filter((a) => a.channels.includes(channel))]));
    };
    this.#fallback = resolve(config.default);
    for (const [country, names] of Object.entries(config.countries)) this.#byCountry.set(country, resolve(names));
  }

  /** The providers to try for a country and channel, best first. */
  providersFor(country: string, channel: Channel): readonly ProviderAdapter[] {
    return (this.#byCountry.get(country) ?? this.#fallback).get(channel) ?? [];
  }

  /** The table as written, as a route decision (the `static` strategy). */
  route(country: string, channel: Channel): RouteDecision {
    return {
      country,
      channel,
      strategy: "static",
      entries: this.providersFor(country, channel).map((provider, tablePosition) => new RouteEntry(provider, tablePosition, undefined, "closed")),
    };
  }

  /** Channels other than `channel` with at least one provider for the country. */
  otherRoutableChannels(country: string, channel: Channel): Channel[] {
    return CHANNELS.filter((other) => other !== channel && this.providersFor(country, other).length > 0);
  }
}
