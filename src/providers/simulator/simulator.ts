import { setTimeout as sleep } from "node:timers/promises";
import type { SimulatorProviderConfig, SimulatorRule } from "./config.js";
import type { Channel } from "../../verification/model.js";
import {
  type OutboundMessage,
  type ProviderAdapter,
  ProviderError,
  type ProviderErrorKind,
  type ReceiptSink,
  type SendResult,
} from "../adapter.js";

export interface OutboxMessage {
  provider: string;
  channel: Channel;
  to: string;
  body: string;
  at: string;
}

/**
 * A provider that follows rules instead of a network: deliver, reject, drop,
 * undelivered or timeout, per number prefix. What it accepts goes to an
 * outbox (served at /sim/outbox), so demos and tests can read the code the
 * "user" received.
 */
export class SimulatorProvider implements ProviderAdapter {
  readonly type = "simulator";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #rules: SimulatorProviderConfig["simulate"];
  readonly #matchers: Array<[(to: string) => boolean, SimulatorRule]>;
  readonly #receipts: ReceiptSink;
  readonly #outbox: OutboxMessage[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #sequence = 0;

  constructor(config: SimulatorProviderConfig, receipts: ReceiptSink) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#rules = config.simulate;
    this.#matchers = config.simulate.rules.map((rule) => [globMatcher(rule.match), rule]);
    this.#receipts = receipts;
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const rule = this.ruleFor(message.to);
    if (rule.outcome === "timeout") {
      await new Promise<never>((_, reject) => {
        const fail = () => reject(signal.reason ?? new Error("aborted"));
        if (signal.aborted) fail();
        else signal.addEventListener("abort", fail, { once: true });
      });
    }
    if (rule.latency_ms > 0) await sleep(rule.latency_ms, undefined, { signal });
    signal.throwIfAborted();
    if (rule.outcome === "reject") {
      const kind = (rule.error ?? "unavailable") as ProviderErrorKind;
      throw new ProviderError(kind, `simulated ${kind}`, this.name);
    }
    const providerMessageId = `${this.name}-${++this.#sequence}`;
    this.#record({ provider: this.name, channel: message.channel, to: message.to, body: message.body, at: new Date().toISOString() });
    if (rule.outcome === "deliver" || rule.outcome === "undelivered") {
      const state = rule.outcome === "deliver" ? "delivered" : "undelivered";
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#receipts.report({
          provider: this.name,
          state,
          reference: message.reference,
          providerMessageId,
          providerStatus: state,
          error: state === "undelivered" ? "simulated: handset unreachable" : undefined,
          at: Date.now(),
        });
      }, rule.dlr_delay_ms);
      this.#timers.add(timer);
    }
    return { providerMessageId };
  }

  /** The first rule whose prefix glob matches, else the default. */
  ruleFor(to: string): SimulatorRule {
    for (const [matches, rule] of this.#matchers) if (matches(to)) return rule;
    return this.#rules.default;
  }

  /** Messages accepted for `to` (or all), oldest first. */
  outbox(to?: string): OutboxMessage[] {
    return to === undefined ? [...this.#outbox] : this.#outbox.filter((message) => message.to === to);
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #record(message: OutboxMessage): void {
    if (this.#rules.outbox_limit === 0) return;
    this.#outbox.push(message);
    if (this.#outbox.length > this.#rules.outbox_limit) this.#outbox.shift();
  }
}

/** "+1202555011*" matches every number starting with +1202555011; without "*" the match is exact. */
export function globMatcher(pattern: string): (value: string) => boolean {
  if (!pattern.includes("*")) return (value) => value === pattern;
  const parts = pattern.split("*");
  const regex = new RegExp(`^${parts.map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return (value) => regex.test(value);
}
