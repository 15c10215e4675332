/**
 * Hand-driven stand-ins for time, randomness, providers and logging, so unit
 * tests control every moment a verification lives through.
 */
import { toOutcome } from "../../src/gateway/provider-caller.js";
import {
  type DeliveryReport,
  type OutboundMessage,
  type ProviderAdapter,
  ProviderError,
  type ProviderErrorKind,
  type SendResult,
} from "../../src/providers/adapter.js";
import type { Clock } from "../../src/verification/clock.js";
import type { RandomSource } from "../../src/verification/codes.js";
import type { Channel } from "../../src/verification/model.js";
import type { Logger, ProviderGateway, SendOutcome } from "../../src/verification/ports.js";

/** A clock that moves only when a test says so. */
export class FakeClock implements Clock {
  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

/** mulberry32: a tiny seeded generator, so "random" inputs repeat run after run. */
export function seededGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A RandomSource that gives the same sequence for the same seed. */
export function seededRandom(seed = 42): RandomSource {
  const next = seededGenerator(seed);
  return {
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    bytes: (length) => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256))),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * How a test provider answers one send: accept it, refuse it with a
 * ProviderError of that kind, or never answer ("hang").
 */
export type Reply = "accept" | "hang" | ProviderErrorKind;

/**
 * A provider as a plain object: answers from a script (then from its default),
 * and keeps every message it was asked to send, accepted or not.
 */
export class ScriptedProvider implements ProviderAdapter {
  readonly type = "scripted";
  readonly cost = 0;
  readonly channels: readonly Channel[];
  readonly sent: OutboundMessage[] = [];
  readonly signals: AbortSignal[] = [];
  readonly #script: Reply[] = [];
  #fallback: Reply;

  constructor(
    readonly name: string,
    channels: readonly Channel[],
    fallback: Reply = "accept",
  ) {
    this.channels = channels;
    this.#fallback = fallback;
  }

  /** Queues the answers to the next sends, in order. */
  replyNext(...replies: Reply[]): this {
    this.#script.push(...replies);
    return this;
  }

  /** What every send answers once the script is used up. */
  replyAlways(reply: Reply): this {
    this.#fallback = reply;
    return this;
  }

  /** What a status query answers for each message id; unset ids answer undefined. */
  readonly statuses = new Map<string, DeliveryReport["state"]>();
  #queryable = false;

  /** Makes this provider answer status queries from `statuses`. */
  answerStatusQueries(): this {
    this.#queryable = true;
    this.queryStatus = async (providerMessageId: string): Promise<DeliveryReport | undefined> => {
      const state = this.statuses.get(providerMessageId);
      return state === undefined ? undefined : { provider: this.name, state, providerMessageId, providerStatus: state, at: 0 };
    };
    return this;
  }

  queryStatus?: (providerMessageId: string, signal: AbortSignal) => Promise<DeliveryReport | undefined>;

  get queryable(): boolean {
    return this.#queryable;
  }

  async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    this.sent.push(message);
    this.signals.push(signal);
    const reply = this.#script.shift() ?? this.#fallback;
    if (reply === "accept") return { providerMessageId: `${this.name}-msg-${this.sent.length}` };
    if (reply === "hang") return new Promise<never>(() => {});
    throw new ProviderError(reply, `scripted ${reply}`, this.name);
  }
}

/**
 * A provider gateway that calls the adapters with no timeout and no breaker,
 * so no real timer runs in service tests. Status queries go to adapters that
 * have them unless `statusPoll` is false.
 */
export function directGateway(adapters: readonly ProviderAdapter[], options: { statusPoll?: boolean } = {}): ProviderGateway & { queries: string[] } {
  const byName = new Map(adapters.map((adapter) => [adapter.name, adapter]));
  const queries: string[] = [];
  return {
    queries,
    has: (provider) => byName.has(provider),
    async send(provider, message): Promise<SendOutcome> {
      const adapter = byName.get(provider);
      if (!adapter) return { ok: false, error: { kind: "unavailable", message: `provider ${provider} is no longer configured` } };
      try {
        const result = await adapter.send({ ...message, callbackUrl: "" }, new AbortController().signal);
        return { ok: true, providerMessageId: result.providerMessageId };
      } catch (error) {
        return toOutcome(error);
      }
    },
    canQueryStatus: (provider) => options.statusPoll !== false && byName.get(provider)?.queryStatus !== undefined,
    async queryStatus(provider, providerMessageId): Promise<DeliveryReport | undefined> {
      queries.push(`${provider}:${providerMessageId}`);
      return byName.get(provider)?.queryStatus?.(providerMessageId, new AbortController().signal);
    },
  };
}

/** Lets pending promise callbacks (and the I/O phase) run. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
