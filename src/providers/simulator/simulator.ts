import { setTimeout as sleep } from "node:timers/promises";
import type { Channel } from "../../verification/model.js";
import {
  type AttemptReference,
  type DeliveryReport,
  type DeliveryState,
  type OutboundMessage,
  type ProviderAdapter,
  type ProviderContext,
  ProviderError,
  type ProviderErrorKind,
  type SendResult,
  type SentMessage,
} from "../adapter.js";
import type { SimulatedOutcome, SimulatorProviderConfig, SimulatorRule } from "./config.js";

/** A message the simulator accepted, as /sim/outbox lists it. */
export type OutboxMessage = SentMessage;

/** Where an accepted message ends up, and whether the simulator says so with a receipt. */
interface Settlement {
  state: "delivered" | "undelivered";
  receipt: boolean;
}

/** Outcomes that accept a message and later settle it; `drop` never settles, `reject` and `timeout` never accept. */
const SETTLEMENTS: Partial<Record<SimulatedOutcome, Settlement>> = {
  deliver: { state: "delivered", receipt: true },
  undelivered: { state: "undelivered", receipt: true },
  silent_deliver: { state: "delivered", receipt: false },
  silent_undelivered: { state: "undelivered", receipt: false },
};

const UNDELIVERED_ERROR = "simulated: handset unreachable";

/** What queryStatus knows of one accepted message. */
interface MessageStatus {
  state: DeliveryState;
  providerStatus: string;
  /** The send's latency_ms, which a status query takes too. */
  latencyMs: number;
}

/**
 * A provider that follows rules instead of a network, per number prefix (see
 * SIMULATED_OUTCOMES). What it accepts goes to an outbox (served at
 * /sim/outbox), so demos and tests can read the code the "user" received,
 * and its state can be queried like a real provider's.
 */
export class SimulatorProvider implements ProviderAdapter {
  readonly type = "simulator";
  readonly name: string;
  readonly channels: readonly Channel[];
  readonly cost: number;
  readonly #rules: SimulatorProviderConfig["simulate"];
  readonly #matchers: Array<[(to: string) => boolean, SimulatorRule]>;
  readonly #context: ProviderContext;
  readonly #outbox: OutboxMessage[] = [];
  // Insertion-ordered, so the oldest entry is the first to forget.
  readonly #statuses = new Map<string, MessageStatus>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #sequence = 0;

  constructor(config: SimulatorProviderConfig, context: ProviderContext) {
    this.name = config.name;
    this.channels = config.channels;
    this.cost = config.cost;
    this.#rules = config.simulate;
    this.#matchers = config.simulate.rules.map((rule) => [globMatcher(rule.match), rule]);
    this.#context = context;
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    const rule = this.ruleFor(message.to);
    if (rule.outcome === "timeout") await untilAborted(signal);
    await waitFor(rule.latency_ms, signal);
    if (rule.outcome === "reject") {
      const kind = (rule.error ?? "unavailable") as ProviderErrorKind;
      throw new ProviderError(kind, `simulated ${kind}`, this.name);
    }
    const providerMessageId = `${this.name}-${++this.#sequence}`;
    const at = new Date(this.#context.now()).toISOString();
    this.#record({ provider: this.name, channel: message.channel, to: message.to, body: message.body, at });
    const status: MessageStatus = { state: "intermediate", providerStatus: "sent", latencyMs: rule.latency_ms };
    this.#remember(providerMessageId, status);
    const settlement = SETTLEMENTS[rule.outcome];
    if (settlement) this.#settleLater(status, settlement, { providerMessageId, reference: message.reference, delayMs: rule.dlr_delay_ms });
    return { providerMessageId };
  }

  /**
   * What became of an accepted message: "sent" until `dlr_delay_ms` has
   * passed, then delivered or undelivered, whether or not a receipt was sent
   * (`drop` stays "sent"). Undefined for an id it never gave or has forgotten
   * (`status_limit`).
   */
  async queryStatus(providerMessageId: string, signal: AbortSignal): Promise<DeliveryReport | undefined> {
    const known = this.#statuses.get(providerMessageId);
    if (!known) return undefined;
    await waitFor(known.latencyMs, signal);
    return {
      provider: this.name,
      state: known.state,
      providerMessageId,
      providerStatus: known.providerStatus,
      error: known.state === "undelivered" ? UNDELIVERED_ERROR : undefined,
      at: this.#context.now(),
    };
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

  #settleLater(status: MessageStatus, settlement: Settlement, message: { providerMessageId: string; reference: AttemptReference; delayMs: number }): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      status.state = settlement.state;
      status.providerStatus = settlement.state;
      if (!settlement.receipt) return;
      // Like a real provider whose webhook call failed, the simulator does not
      // retry; the inbox logs its own failures, and the rejection must not
      // go unhandled (it would end the process).
      void this.#context.receipts
        .report({
          provider: this.name,
          state: settlement.state,
          reference: message.reference,
          providerMessageId: message.providerMessageId,
          providerStatus: settlement.state,
          error: settlement.state === "undelivered" ? UNDELIVERED_ERROR : undefined,
          at: this.#context.now(),
        })
        .catch(() => {});
    }, message.delayMs);
    this.#timers.add(timer);
  }

  #record(message: OutboxMessage): void {
    if (this.#rules.outbox_limit === 0) return;
    this.#outbox.push(message);
    if (this.#outbox.length > this.#rules.outbox_limit) this.#outbox.shift();
  }

  #remember(providerMessageId: string, status: MessageStatus): void {
    if (this.#rules.status_limit === 0) return;
    this.#statuses.set(providerMessageId, status);
    if (this.#statuses.size > this.#rules.status_limit) this.#statuses.delete(this.#statuses.keys().next().value!);
  }
}

/** "+1202555011*" matches every number starting with +1202555011; without "*" the match is exact. */
export function globMatcher(pattern: string): (value: string) => boolean {
  if (!pattern.includes("*")) return (value) => value === pattern;
  const parts = pattern.split("*");
  const regex = new RegExp(`^${parts.map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return (value) => regex.test(value);
}

async function waitFor(ms: number, signal: AbortSignal): Promise<void> {
  if (ms > 0) await sleep(ms, undefined, { signal });
  signal.throwIfAborted();
}

/** A provider that never answers: only the caller's timeout (through `signal`) ends the wait. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const fail = () => reject(signal.reason ?? new Error("aborted"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}
