/**
 * The routing suites' stand-ins: a hand-moved clock, a seeded generator,
 * providers as plain objects whose behaviour a test flips mid-run, and a
 * VerificationService built from real parts (memory store, routing table,
 * router, scorer, score feed, timer loop) around whichever caller and clock
 * a test picks. Timers never run by themselves: tests call `runTimers()`.
 */
import { type ProviderCaller, type SendOutcome, toOutcome } from "../../../src/dispatch/provider-caller.js";
import { TimerLoop } from "../../../src/dispatch/timer-loop.js";
import { RateLimits } from "../../../src/limits/rate-limits.js";
import { MessageRenderer } from "../../../src/messages/templates.js";
import {
  type OutboundMessage,
  type ProviderAdapter,
  ProviderError,
  type ProviderErrorKind,
  type SendResult,
} from "../../../src/providers/adapter.js";
import type { BreakerState } from "../../../src/routing/breakers.js";
import { Router, type RoutingStrategy } from "../../../src/routing/router.js";
import { RoutingTable, type RoutingTableConfig } from "../../../src/routing/routing-table.js";
import { scoreFeed } from "../../../src/routing/score-feed.js";
import { DEFAULT_SCORING, Scorer, type ScoringSettings } from "../../../src/routing/scorer.js";
import { MemoryStore } from "../../../src/store/memory/memory-store.js";
import type { Clock } from "../../../src/verification/clock.js";
import { CodeVault, type RandomSource } from "../../../src/verification/codes.js";
import type { Channel, VerificationEvent } from "../../../src/verification/model.js";
import { type Logger, type VerificationPolicy, VerificationService } from "../../../src/verification/service.js";

/** Midnight UTC: a whole number of minutes and hours, so scorer buckets start exactly here. */
export const T0 = Date.UTC(2024, 0, 1);

/** A clock that moves only when a test says so. */
export class FakeClock implements Clock {
  constructor(private current = T0) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

/** mulberry32: a tiny seeded generator of uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function seededRandomSource(seed: number): RandomSource {
  const next = mulberry32(seed);
  return {
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    bytes: (length) => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256))),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** How a test provider answers one send: accept, refuse with that kind, or never answer until aborted. */
export type Behaviour = "accept" | "hang" | ProviderErrorKind;

/** A provider as a plain object, the way the adapter interface means it. */
export interface TestProvider extends ProviderAdapter {
  /** Every message it was asked to send, answered or not. */
  readonly sent: OutboundMessage[];
  readonly signals: AbortSignal[];
  /** Changes how the next sends are answered; `message` lets a behaviour depend on the number. */
  behave(decide: Behaviour | ((message: OutboundMessage) => Behaviour)): void;
  /** The code in the last message sent to `to`. */
  lastCodeTo(to: string): string;
}

export function testProvider(name: string, initial: Behaviour = "accept", channels: readonly Channel[] = ["sms"], cost = 0): TestProvider {
  let decide: (message: OutboundMessage) => Behaviour = () => initial;
  const sent: OutboundMessage[] = [];
  const signals: AbortSignal[] = [];
  return {
    name,
    type: "test",
    channels,
    cost,
    sent,
    signals,
    behave(next) {
      decide = typeof next === "function" ? next : () => next;
    },
    lastCodeTo(to) {
      const message = sent.findLast((m) => m.to === to);
      if (!message) throw new Error(`${name} sent nothing to ${to}`);
      return message.code;
    },
    async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
      sent.push(message);
      signals.push(signal);
      const behaviour = decide(message);
      if (behaviour === "accept") return { providerMessageId: `${name}-${sent.length}` };
      if (behaviour === "hang") {
        // Stops work when the caller gives up, as the adapter contract asks.
        return new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
      }
      throw new ProviderError(behaviour, `test provider says ${behaviour}`, name);
    },
  };
}

/** Calls the adapter with no timeout, so domain tests run no real timer. */
export const directCaller: ProviderCaller = {
  async send(adapter: ProviderAdapter, message: OutboundMessage): Promise<SendOutcome> {
    try {
      const result = await adapter.send(message, new AbortController().signal);
      return { ok: true, providerMessageId: result.providerMessageId };
    } catch (error) {
      return toOutcome(error);
    }
  },
};

/** A memory store that keeps every published event, in order. */
export class RecordingStore extends MemoryStore {
  readonly published: VerificationEvent[] = [];

  override async publish(events: readonly VerificationEvent[]): Promise<void> {
    this.published.push(...events);
    await super.publish(events);
  }

  eventsFor(verificationId: string): VerificationEvent[] {
    return this.published.filter((event) => event.verificationId === verificationId);
  }
}

export const POLICY: VerificationPolicy = {
  codeLength: 6,
  codeTtlMs: 600_000,
  deliveryWindowMs: 30_000,
  maxCheckAttempts: 3,
  resendMinIntervalMs: 30_000,
  autoEscalate: false,
  defaultLocale: "en",
  brand: "acme",
};

export interface RigOptions {
  providers: TestProvider[];
  /** Defaults to every provider, in the given order, for every country. */
  table?: RoutingTableConfig;
  caller?: ProviderCaller;
  /** false: no scorer at all (the router keeps the table order). */
  scoring?: Partial<ScoringSettings> | false;
  strategy?: RoutingStrategy;
  strategies?: Record<string, RoutingStrategy>;
  breakerState?: (provider: string, channel: Channel) => BreakerState;
  /** The router's exploration source; defaults to "never explore". */
  routeRandom?: () => number;
  clock?: Clock;
  policy?: Partial<VerificationPolicy>;
}

/** A rig on the hand-moved FakeClock unless a test passes a clock of its own. */
export function createRig<C extends Clock = FakeClock>(options: RigOptions & { clock?: C }) {
  const clock = (options.clock ?? new FakeClock()) as C;
  const store = new RecordingStore({ retentionMs: 86_400_000, now: () => clock.now(), purgeIntervalMs: 0 });
  const byName = new Map<string, ProviderAdapter>(options.providers.map((p) => [p.name, p]));
  const table = new RoutingTable(options.table ?? { default: options.providers.map((p) => p.name), countries: {} }, byName);
  const costOf = (provider: string) => byName.get(provider)?.cost ?? 0;
  const scorer = options.scoring === false ? undefined : new Scorer({ ...DEFAULT_SCORING, ...options.scoring }, () => clock.now());
  const router = new Router({
    table,
    scorer,
    breakerState: options.breakerState,
    defaultStrategy: options.strategy ?? "score",
    strategies: options.strategies,
    costOf,
    random: options.routeRandom ?? (() => 0.999),
  });
  const random = seededRandomSource(11);
  const policy = { ...POLICY, ...options.policy };
  const service = new VerificationService(
    {
      store,
      routing: router,
      caller: options.caller ?? directCaller,
      observer: scorer ? scoreFeed(scorer, costOf) : undefined,
      vault: new CodeVault("routing-test-secret-0123456789", random),
      limits: new RateLimits({
        per_phone: { limit: 10_000, window: 600_000 },
        per_ip: { limit: 10_000, window: 600_000 },
        check_per_ip: { limit: 10_000, window: 600_000 },
      }),
      messages: new MessageRenderer(),
      policy,
      clock,
      random,
      logger: silentLogger,
      instanceId: "routing-test",
      leaseMs: 5_000,
    },
    options.providers,
  );
  const timerErrors: unknown[] = [];
  const loop = new TimerLoop(store, (record) => service.runDue(record), {
    owner: "routing-test-timers",
    pollIntervalMs: 1_000,
    leaseMs: 5_000,
    batchSize: 64,
    clock,
    onError: (error) => void timerErrors.push(error),
  });

  return {
    clock,
    store,
    router,
    scorer,
    service,
    policy,
    /** One pass of the timer loop, waiting for the work it started. */
    async runTimers(): Promise<number> {
      const claimed = await loop.runDue();
      await loop.stop();
      if (timerErrors.length > 0) throw timerErrors.splice(0)[0];
      return claimed;
    },
  };
}

export type Rig = ReturnType<typeof createRig<FakeClock>>;

/** Provider names of a route, in the order a Start would try them. */
export function order(decision: { entries: ReadonlyArray<{ provider: { name: string } }> }): string[] {
  return decision.entries.map((entry) => entry.provider.name);
}

/** Polls `condition` every few ms until it holds, failing after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
