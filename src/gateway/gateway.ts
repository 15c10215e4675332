import type { ProviderAdapter } from "../providers/adapter.js";
import { callbackUrl } from "../providers/adapter.js";
import type { Channel } from "../verification/model.js";
import type { DeliveryReport, OutboundMessage, ProviderGateway, SendOutcome } from "../verification/ports.js";
import { BreakerBoard, type BreakerSettings, type BreakerState, type BreakerTransition } from "./breakers.js";
import { type ProviderCaller, TimeoutCaller } from "./provider-caller.js";

/** What the gateway needs to know of each provider's configuration. */
export interface ProviderCallSettings {
  timeoutMs: number;
  breaker: BreakerSettings;
  /** Ask the provider for a message's status when its delivery window ends without a receipt. */
  statusPoll: boolean;
}

export interface GatewayOptions {
  adapters: ReadonlyMap<string, ProviderAdapter>;
  settings: (provider: string) => ProviderCallSettings;
  /** Where providers post receipts; read per call, since it is known for sure only once the server listens. */
  publicUrl: () => string;
  now: () => number;
  /** Wraps the breaker-guarded caller, outermost (tracing). */
  decorate?: (inner: ProviderCaller, breakerState: (provider: string, channel: Channel) => BreakerState) => ProviderCaller;
}

/**
 * The one way out to providers. Built once, it wraps every adapter in the
 * same chain: the provider's own timeout innermost, then its breaker (per
 * provider and channel), then tracing. The dispatcher sees only the domain's
 * ProviderGateway port.
 */
export class Gateway implements ProviderGateway {
  readonly breakers: BreakerBoard;
  readonly #adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly #settings: (provider: string) => ProviderCallSettings;
  readonly #publicUrl: () => string;
  readonly #caller: ProviderCaller;

  constructor(options: GatewayOptions) {
    this.#adapters = options.adapters;
    this.#settings = options.settings;
    this.#publicUrl = options.publicUrl;
    const timed = new TimeoutCaller((provider) => this.#settings(provider).timeoutMs);
    this.breakers = new BreakerBoard(timed, (provider) => this.#settings(provider).breaker, options.now);
    const breakerState = (provider: string, channel: Channel) => this.breakers.state(provider, channel);
    this.#caller = options.decorate ? options.decorate(this.breakers, breakerState) : this.breakers;
  }

  has(provider: string): boolean {
    return this.#adapters.has(provider);
  }

  async send(provider: string, message: OutboundMessage): Promise<SendOutcome> {
    const adapter = this.#adapters.get(provider);
    if (!adapter) return { ok: false, error: { kind: "unavailable", message: `provider ${provider} is no longer configured` } };
    const url = this.#publicUrl();
    return this.#caller.send(adapter, { ...message, callbackUrl: url ? callbackUrl(url, provider, message.reference) : "" });
  }

  canQueryStatus(provider: string): boolean {
    const adapter = this.#adapters.get(provider);
    return adapter?.queryStatus !== undefined && this.#settings(provider).statusPoll;
  }

  async queryStatus(provider: string, providerMessageId: string): Promise<DeliveryReport | undefined> {
    const adapter = this.#adapters.get(provider);
    if (!adapter?.queryStatus) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error("status query timed out")), this.#settings(provider).timeoutMs);
    try {
      return await adapter.queryStatus(providerMessageId, controller.signal);
    } catch {
      // An unanswered question is no answer: the dispatcher fails over as if there were no receipt.
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  onBreakerTransition(listener: (transition: BreakerTransition) => void): () => void {
    return this.breakers.onTransition(listener);
  }

  breakerState(provider: string, channel: Channel): BreakerState {
    return this.breakers.state(provider, channel);
  }

  close(): void {
    this.breakers.close();
  }
}
