import { CHANNELS, type Channel } from "../verification/model.js";

export interface RoutingTableConfig {
  default: readonly string[];
  countries: Readonly<Record<string, readonly string[]>>;
}

/** What the table needs to know of a provider: the channels it carries. */
export interface RoutableProvider {
  readonly channels: readonly Channel[];
}

/**
 * Which providers may carry a message to a country, in order. A country's list
 * is the complete, ordered set for it; countries without one use the default.
 * Lists are resolved once per country and channel, so a route decision is a
 * map lookup.
 */
export class RoutingTable {
  readonly #byCountry = new Map<string, ReadonlyMap<Channel, readonly string[]>>();
  readonly #fallback: ReadonlyMap<Channel, readonly string[]>;

  constructor(config: RoutingTableConfig, providers: ReadonlyMap<string, RoutableProvider>) {
    const resolve = (names: readonly string[]): ReadonlyMap<Channel, readonly string[]> => {
      for (const name of names) if (!providers.has(name)) throw new Error(`routing names unknown provider "${name}"`);
      return new Map(CHANNELS.map((channel) => [channel, names.filter((name) => providers.get(name)!.channels.includes(channel))]));
    };
    this.#fallback = resolve(config.default);
    for (const [country, names] of Object.entries(config.countries)) this.#byCountry.set(country, resolve(names));
  }

  /** The providers to try for a country and channel, best first. */
  providersFor(country: string, channel: Channel): readonly string[] {
    return (this.#byCountry.get(country) ?? this.#fallback).get(channel) ?? [];
  }

  /** The table as written, as the dispatcher takes a route (the `static` strategy without breakers). */
  plan(country: string, channel: Channel): readonly { provider: string }[] {
    return this.providersFor(country, channel).map((provider) => ({ provider }));
  }

  /** Channels other than `channel` with at least one provider for the country. */
  otherRoutableChannels(country: string, channel: Channel): Channel[] {
    return CHANNELS.filter((other) => other !== channel && this.providersFor(country, other).length > 0);
  }
}
