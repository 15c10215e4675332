/**
 * The dispatcher's world as plain objects: a one-map store with a version
 * check, a scripted provider gateway, a routing table and a FakeClock. The
 * write loop (RecordWriter) and the vault are the real ones.
 */
import type { DispatchDeps } from "../../../src/dispatch/deps.js";
import { CodeVault } from "../../../src/verification/codes.js";
import type { AttemptError, Channel, VerificationEvent, VerificationRecord } from "../../../src/verification/model.js";
import type { VerificationPolicy } from "../../../src/verification/policy.js";
import type { DeliveryReport, OutboundMessage, ProviderGateway, RenderInput, RouteChoice, SendOutcome, VerificationStore } from "../../../src/verification/ports.js";
import { RecordWriter } from "../../../src/verification/record-writer.js";
import type { Effect } from "../../../src/verification/transitions/index.js";
import { FakeClock, silentLogger } from "../../support/fakes.js";
import { ID, POLICY, record, T0 } from "../../verification/support/builders.js";

export const CODE = "482913";
export const LEASE_MS = 5_000;

/** A store of records with a version check, keeping every event it stored. */
export class TinyStore {
  readonly records = new Map<string, VerificationRecord>();
  readonly events: VerificationEvent[] = [];
  /** Runs before each replace: lets a test change the record "from elsewhere". */
  beforeReplace: ((id: string) => void) | undefined;

  async get(id: string): Promise<VerificationRecord | undefined> {
    return this.records.get(id);
  }

  async replace(next: VerificationRecord, expectedVersion: number, events: readonly VerificationEvent[] = []): Promise<VerificationRecord | undefined> {
    this.beforeReplace?.(next.id);
    const current = this.records.get(next.id);
    if (!current || current.version !== expectedVersion) return undefined;
    const stored = { ...next, version: expectedVersion + 1 };
    this.records.set(next.id, stored);
    this.events.push(...events);
    return stored;
  }

  async publish(): Promise<void> {}

  put(value: VerificationRecord): VerificationRecord {
    this.records.set(value.id, value);
    return value;
  }

  now(id = ID): VerificationRecord {
    const found = this.records.get(id);
    if (!found) throw new Error(`no record ${id}`);
    return found;
  }

  /** The stored events' types (and causes, for failovers), in order. */
  story(id = ID): string[] {
    return this.events
      .filter((event) => event.verificationId === id)
      .map((event) => (event.type === "failover" && event.cause ? `failover(${event.cause.kind})` : event.type));
  }
}

export type Reply = "accept" | AttemptError["kind"] | ((message: OutboundMessage) => SendOutcome | Promise<SendOutcome>);

/** Providers that answer from a script (then accept), and can be asked for a message's state. */
export class FakeGateway implements ProviderGateway {
  readonly sent: Array<{ provider: string; message: OutboundMessage }> = [];
  readonly queries: Array<[string, string]> = [];
  readonly scripts = new Map<string, Reply[]>();
  readonly queryable = new Set<string>();
  readonly statuses = new Map<string, DeliveryReport | undefined>();
  #ids = 0;

  reply(provider: string, ...replies: Reply[]): this {
    this.scripts.set(provider, [...(this.scripts.get(provider) ?? []), ...replies]);
    return this;
  }

  has(): boolean {
    return true;
  }

  async send(provider: string, message: OutboundMessage): Promise<SendOutcome> {
    this.sent.push({ provider, message });
    const reply = this.scripts.get(provider)?.shift() ?? "accept";
    if (typeof reply === "function") return reply(message);
    if (reply === "accept") return { ok: true, providerMessageId: `${provider}-msg-${++this.#ids}` };
    return { ok: false, error: { kind: reply, message: `scripted ${reply}` } };
  }

  canQueryStatus(provider: string): boolean {
    return this.queryable.has(provider);
  }

  async queryStatus(provider: string, providerMessageId: string): Promise<DeliveryReport | undefined> {
    this.queries.push([provider, providerMessageId]);
    return this.statuses.get(providerMessageId);
  }

  providers(): string[] {
    return this.sent.map((s) => s.provider);
  }
}

/** A routing table: each channel's providers in order, some passed over. */
export class FakeRoutes {
  plans = 0;
  otherLookups = 0;

  constructor(public table: Partial<Record<Channel, RouteChoice[]>>) {}

  plan(_country: string, channel: Channel): readonly RouteChoice[] {
    // A runaway escalation loop would plan forever; fail the test instead of hanging it.
    if (++this.plans > 100) throw new Error("planned more than 100 routes in one test");
    return this.table[channel] ?? [];
  }

  otherRoutableChannels(_country: string, channel: Channel): Channel[] {
    this.otherLookups++;
    return (["sms", "voice", "whatsapp"] as const).filter((other) => other !== channel && (this.table[other]?.length ?? 0) > 0);
  }
}

export function rig(options: { routes?: Partial<Record<Channel, RouteChoice[]>>; policy?: Partial<VerificationPolicy> } = {}) {
  const clock = new FakeClock(T0);
  const store = new TinyStore();
  const gateway = new FakeGateway();
  const routes = new FakeRoutes(
    options.routes ?? {
      sms: [{ provider: "sms-a" }, { provider: "sms-b" }, { provider: "sms-c" }],
      voice: [{ provider: "voice-a" }],
    },
  );
  const vault = new CodeVault("dispatch-test-secret-0123456789");
  const performed: Effect[] = [];
  const rendered: RenderInput[] = [];
  const writer = new RecordWriter({ store: store as unknown as VerificationStore, clock, perform: (effect) => performed.push(effect) });
  const deps: DispatchDeps = {
    writer,
    gateway,
    routes,
    vault,
    messages: {
      render: (input) => {
        rendered.push(input);
        return `[${input.channel}/${input.locale}] ${input.brand} ${input.code} ${input.ttlMs}`;
      },
    },
    policy: { ...POLICY, ...options.policy },
    clock,
    logger: silentLogger,
    instanceId: "me",
    leaseMs: LEASE_MS,
  };

  /** Stores an active record carrying CODE sealed and hashed. */
  const seed = (overrides: Parameters<typeof record>[0] = {}): VerificationRecord =>
    store.put(record({ codeHash: vault.hash(ID, CODE), sealedCode: vault.seal(ID, CODE), sequence: 0, version: 1, ...overrides }));

  return { clock, store, gateway, routes, vault, writer, deps, performed, rendered, seed };
}

export type Rig = ReturnType<typeof rig>;
