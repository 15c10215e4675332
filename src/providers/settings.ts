import type { ProviderBaseConfig } from "./base-config.js";

/**
 * The settings that wrap a provider from outside (its timeout, breaker,
 * status polling and price), read from its config in the units the wrappers
 * use. Every provider type has these keys (base-config.ts), so the
 * gateway and the router need not know the type.
 */
export interface ProviderSettings {
  /** A send or status query taking longer is aborted and counts as failed. */
  timeoutMs: number;
  breaker: {
    errorThresholdPercentage: number;
    volumeThreshold: number;
    resetTimeoutMs: number;
    rollingWindowMs: number;
  };
  /** Ask for a message's status when its delivery window ends without a receipt (false where the type cannot). */
  statusPoll: boolean;
  /** Price of one message; `costByCountry` overrides it per ISO country. */
  cost: number;
  costByCountry: Readonly<Record<string, number>>;
}

/**
 * @example
 * const settings = new Map(config.providers.map((p) => [p.name, providerSettings(p)]));
 * settings.get("sim-a")?.statusPoll; // true
 */
export function providerSettings(config: ProviderBaseConfig): ProviderSettings {
  return {
    timeoutMs: config.timeout,
    breaker: {
      errorThresholdPercentage: config.breaker.error_threshold_percentage,
      volumeThreshold: config.breaker.volume_threshold,
      resetTimeoutMs: config.breaker.reset_timeout,
      rollingWindowMs: config.breaker.rolling_window,
    },
    statusPoll: config.status_poll,
    cost: config.cost,
    costByCountry: config.cost_by_country,
  };
}
