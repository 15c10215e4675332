import CircuitBreaker from "opossum";
import type { OutboundMessage, ProviderAdapter } from "../providers/adapter.js";
import type { Channel, ProviderErrorKind } from "../verification/model.js";
import type { SendOutcome } from "../verification/ports.js";
import type { ProviderCaller } from "./provider-caller.js";

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerSettings {
  /** Percentage of failed calls in the rolling window that opens the breaker. */
  errorThresholdPercentage: number;
  /** Calls in the rolling window before the breaker may open at all. */
  volumeThreshold: number;
  /** How long an open breaker waits before letting a probe through, ms. */
  resetTimeoutMs: number;
  /** The rolling window the failure percentage is taken over, ms. */
  rollingWindowMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  resetTimeoutMs: 30_000,
  rollingWindowMs: 60_000,
};

export interface BreakerTransition {
  provider: string;
  channel: Channel;
  state: BreakerState;
  at: number;
}

/**
 * Failures that say something about the provider. A rejection about the number
 * itself (invalid, unsubscribed) or about one destination's route says nothing
 * about the provider's health elsewhere, so it fails over without counting.
 */
export function indictsProvider(kind: ProviderErrorKind): boolean {
  switch (kind) {
    case "unavailable":
    case "auth":
    case "rate_limited":
      return true;
    case "invalid_number":
    case "no_route":
      return false;
  }
}

class ProviderFault extends Error {
  constructor(readonly outcome: Extract<SendOutcome, { ok: false }>) {
    super(outcome.error.message);
  }
}

/**
 * One opossum breaker per provider and channel, around the caller that
 * applies timeouts. An open breaker answers at once (the router also skips
 * it, so a hanging provider costs nothing once open); after `reset_timeout`
 * a probe goes through and closes it again if the provider recovered.
 */
export class BreakerBoard implements ProviderCaller {
  readonly #inner: ProviderCaller;
  readonly #settings: (provider: string) => BreakerSettings;
  readonly #breakers = new Map<string, CircuitBreaker<[ProviderAdapter, OutboundMessage], SendOutcome>>();
  readonly #listeners = new Set<(transition: BreakerTransition) => void>();
  readonly #now: () => number;

  constructor(inner: ProviderCaller, settings: (provider: string) => BreakerSettings, now: () => number = Date.now) {
    this.#inner = inner;
    this.#settings = settings;
    this.#now = now;
  }

  async send(adapter: ProviderAdapter, message: OutboundMessage): Promise<SendOutcome> {
    try {
      return await this.#breaker(adapter.name, message.channel).fire(adapter, message);
    } catch (error) {
      if (error instanceof ProviderFault) return error.outcome;
      if ((error as { code?: string }).code === "EOPENBREAKER") {
        return { ok: false, error: { kind: "breaker_open", message: "the circuit breaker is open" } };
      }
      return { ok: false, error: { kind: "unavailable", message: (error as Error).message } };
    }
  }

  state(provider: string, channel: Channel): BreakerState {
    const breaker = this.#breakers.get(key(provider, channel));
    if (!breaker || breaker.closed) return "closed";
    return breaker.halfOpen ? "half_open" : "open";
  }

  /** Open, half-open and close transitions, for the scorer and telemetry. */
  onTransition(listener: (transition: BreakerTransition) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the breakers' rolling-window timers. */
  close(): void {
    for (const breaker of this.#breakers.values()) breaker.shutdown();
    this.#breakers.clear();
  }

  #breaker(provider: string, channel: Channel) {
    const id = key(provider, channel);
    let breaker = this.#breakers.get(id);
    if (breaker) return breaker;
    const settings = this.#settings(provider);
    breaker = new CircuitBreaker(
      async (adapter: ProviderAdapter, message: OutboundMessage) => {
        const outcome = await this.#inner.send(adapter, message);
        if (!outcome.ok && indicts(outcome.error.kind)) throw new ProviderFault(outcome);
        return outcome;
      },
      {
        name: id,
        // The inner caller owns timeouts, so it can abort the provider's work through its AbortSignal.
        timeout: false,
        errorThresholdPercentage: settings.errorThresholdPercentage,
        volumeThreshold: settings.volumeThreshold,
        resetTimeout: settings.resetTimeoutMs,
        rollingCountTimeout: settings.rollingWindowMs,
        rollingCountBuckets: 10,
        enableSnapshots: false,
      },
    );
    const emit = (state: BreakerState) => {
      for (const listener of this.#listeners) listener({ provider, channel, state, at: this.#now() });
    };
    breaker.on("open", () => emit("open"));
    breaker.on("halfOpen", () => emit("half_open"));
    breaker.on("close", () => emit("closed"));
    this.#breakers.set(id, breaker);
    return breaker;
  }
}

function indicts(kind: SendOutcomeErrorKind): boolean {
  return kind !== "breaker_open" && kind !== "undelivered" && indictsProvider(kind);
}

type SendOutcomeErrorKind = Extract<SendOutcome, { ok: false }>["error"]["kind"];

function key(provider: string, channel: Channel): string {
  return `${provider}:${channel}`;
}
