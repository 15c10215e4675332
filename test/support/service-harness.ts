/**
 * Builds a VerificationService from its real parts (memory store, routing
 * table, vault, limits, renderer, timer loop) around a fake clock, seeded
 * randomness and scripted providers. Nothing runs on a real timer: tests move
 * the clock and then call `runTimers()`.
 */
import { TimerLoop } from "../../src/dispatch/timer-loop.js";
import { RateLimits, type RateLimitsConfig } from "../../src/limits/rate-limits.js";
import { MessageRenderer } from "../../src/messages/templates.js";
import type { OutboundMessage, ProviderAdapter } from "../../src/providers/adapter.js";
import { RoutingTable, type RoutingTableConfig } from "../../src/routing/routing-table.js";
import { VerificationService } from "../../src/service/verification-service.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import { CodeVault } from "../../src/verification/codes.js";
import type { VerificationEvent } from "../../src/verification/model.js";
import type { VerificationPolicy } from "../../src/verification/policy.js";
import type { ProviderGateway } from "../../src/verification/ports.js";
import { RecordWriter } from "../../src/verification/record-writer.js";
import { directGateway, FakeClock, ScriptedProvider, seededRandom, silentLogger } from "./fakes.js";

export const PHONE = "+12025550100";
export const OTHER_PHONE = "+12025550101";
export const LEASE_MS = 5_000;

export const DEFAULT_POLICY: VerificationPolicy = {
  codeLength: 6,
  codeTtlMs: 600_000,
  deliveryWindowMs: 30_000,
  maxCheckAttempts: 3,
  resendMinIntervalMs: 30_000,
  autoEscalate: false,
  defaultLocale: "en",
  brand: "acme",
};

const GENEROUS_LIMITS: RateLimitsConfig = {
  per_phone: { limit: 1_000, window: 600_000 },
  per_ip: { limit: 1_000, window: 600_000 },
  check_per_ip: { limit: 1_000, window: 600_000 },
};

/** A memory store that also keeps every event it published, in order. */
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

export interface HarnessOptions {
  policy?: Partial<VerificationPolicy>;
  /** Defaults to sms-a, sms-b (SMS) and voice-a (voice), all accepting. */
  providers?: ScriptedProvider[];
  routing?: RoutingTableConfig;
  limits?: RateLimitsConfig;
  gateway?: ProviderGateway;
  /** false: the gateway never asks providers for a message's status. */
  statusPoll?: boolean;
}

export function createHarness(options: HarnessOptions = {}) {
  const clock = new FakeClock();
  const random = seededRandom(7);
  const store = new RecordingStore({ retentionMs: 86_400_000, now: () => clock.now(), purgeIntervalMs: 0 });
  const providers = options.providers ?? [
    new ScriptedProvider("sms-a", ["sms"]),
    new ScriptedProvider("sms-b", ["sms"]),
    new ScriptedProvider("voice-a", ["voice"]),
  ];
  const byName = new Map<string, ProviderAdapter>(providers.map((provider) => [provider.name, provider]));
  const routing = new RoutingTable(options.routing ?? { default: providers.map((p) => p.name), countries: {} }, byName);
  const vault = new CodeVault("unit-test-secret-0123456789", random);
  const policy = { ...DEFAULT_POLICY, ...options.policy };
  let wakeups = 0;
  const timerErrors: unknown[] = [];
  const writer = new RecordWriter({ store, clock, perform: () => void wakeups++ });
  const gateway: ProviderGateway & { queries?: string[] } = options.gateway ?? directGateway(providers, { statusPoll: options.statusPoll });
  const service = new VerificationService({
    writer,
    store,
    routes: routing,
    gateway,
    vault,
    limits: new RateLimits(options.limits ?? GENEROUS_LIMITS),
    messages: new MessageRenderer(),
    policy,
    clock,
    random,
    logger: silentLogger,
    instanceId: "unit-instance",
    leaseMs: LEASE_MS,
  });
  // Created, never started: the test decides when timers run.
  const loop = new TimerLoop(store, (record) => service.runDue(record), {
    owner: "unit-timers",
    pollIntervalMs: 1_000,
    leaseMs: LEASE_MS,
    batchSize: 64,
    clock,
    onError: (error) => void timerErrors.push(error),
  });

  const provider = (name: string): ScriptedProvider => {
    const found = providers.find((p) => p.name === name);
    if (!found) throw new Error(`no provider ${name} in this harness`);
    return found;
  };

  return {
    clock,
    store,
    gateway,
    vault,
    service,
    loop,
    policy,
    providers,
    provider,
    get wakeups() {
      return wakeups;
    },
    /**
     * One pass of the timer loop, then waits for the work it started:
     * TimerLoop.runDue returns once it has claimed, not once handlers finish.
     */
    async runTimers(): Promise<number> {
      const claimed = await loop.runDue();
      await loop.stop();
      if (timerErrors.length > 0) throw timerErrors.splice(0)[0];
      return claimed;
    },
    /** Every message any provider was asked to send, grouped by provider. */
    allSent(): Array<OutboundMessage & { provider: string }> {
      return providers.flatMap((p) => p.sent.map((message) => ({ ...message, provider: p.name })));
    },
  };
}

export type Harness = ReturnType<typeof createHarness>;
