/**
 * The pumping simulation of issue 11, in simulated time: verifyd in-process
 * (startApp, memory store, simulators) on a hand-moved clock, driven through
 * the service. Legitimate users Start on their own ranges in four countries
 * and verify 80% of their codes 15–90 s later; for 20 minutes an attacker
 * Starts 1,000 verifications spread over `ranges` ranges of one of those
 * countries (UZ), rotating client IPs, never verifying. By default the
 * attack begins at minute 70, once the service has run for more than a
 * conversion window (steady state); `coldStart` begins it at minute 0, with
 * the guard's state empty (right after a deploy).
 * Counted: attack Starts whose code reached a provider, legitimate Starts
 * refused.
 */
import { parsePhoneNumberWithError } from "libphonenumber-js/max";
import type { Config } from "../src/config/schema.js";
import { fraudSchema } from "../src/fraud/config.js";
import { type App, startApp } from "../src/server/app.js";
import { createLogger } from "../src/telemetry/logger.js";
import { VerifyError } from "../src/verification/errors.js";
import { benchConfig } from "./shared.js";

export interface SimulationOptions {
  /** Ranges (prefixes of 10,000 numbers) the attack is spread over. */
  ranges: number;
  /** The `fraud` section; `{ mode: "off" }` for the baseline. */
  fraud: Record<string, unknown>;
  /** The attack begins with the run, on empty state; otherwise at minute 70. */
  coldStart?: boolean;
  seed?: number;
}

export interface SimulationResult {
  ranges: number;
  attackStarts: number;
  /** Attack Starts whose code some provider was asked to send. */
  attackSent: number;
  legitStarts: number;
  legitRefused: number;
  /** Legitimate Starts in the attacked country, and how many of them were refused. */
  legitInTarget: number;
  legitRefusedInTarget: number;
  legitVerified: number;
  /** What refused the legitimate Starts, by ErrorInfo reason. */
  refusedBy: Record<string, number>;
  /** Blocks in force at the end, as "scope key (level)". */
  blocks: string[];
}

const MINUTE = 60_000;
const LEGIT_PER_MINUTE = 30;
const ATTACK = { starts: 1_000, minutes: 20, country: "UZ" };
/** When the attack begins, and how long the run lasts (legitimate traffic goes on 30 minutes after the attack). */
const PHASES = { steady: { attackFromMin: 70, durationMin: 120 }, cold: { attackFromMin: 0, durationMin: 50 } };
/** Where legitimate users are, how many ranges they come from there, and their share of Starts. */
const LEGIT_COUNTRIES = [
  { country: "US", template: "+1NXXNXX", ranges: 300, share: 0.5 },
  { country: "GB", template: "+447XXXXX", ranges: 300, share: 0.2 },
  { country: "DE", template: "+49151XXXX", ranges: 300, share: 0.15 },
  { country: "UZ", template: "+99890XXX", ranges: 30, share: 0.15 },
] as const;
/** The attacker's UZ ranges: other operators' blocks than the legitimate users'. */
const ATTACK_TEMPLATE = "+9989AXXX";

type Event =
  | { at: number; kind: "legit"; country: string; phoneNumber: string }
  | { at: number; kind: "attack"; phoneNumber: string }
  | { at: number; kind: "check"; id: string; phoneNumber: string };

export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const random = seeded(options.seed ?? 11);
  const clock = {
    current: Date.UTC(2026, 0, 5, 9),
    now() {
      return this.current;
    },
  };
  const app = await startApp(simulationConfig(options.fraud), { port: 0, logger: createLogger("silent"), clock });
  const sent = captureSends(app);
  const result: SimulationResult = {
    ranges: options.ranges,
    attackStarts: 0,
    attackSent: 0,
    legitStarts: 0,
    legitRefused: 0,
    legitInTarget: 0,
    legitRefusedInTarget: 0,
    legitVerified: 0,
    refusedBy: {},
    blocks: [],
  };
  const start = clock.current;
  const queue = timeline(random, start, options.ranges, options.coldStart ? PHASES.cold : PHASES.steady);
  const attackNumbers = new Set<string>();
  try {
    while (queue.length > 0) {
      const event = queue.shift()!;
      clock.current = event.at;
      if (event.kind === "check") {
        const code = sent.codes.get(event.phoneNumber);
        if (code && (await app.service.check(event.id, code, ip(random))).approved) result.legitVerified++;
        continue;
      }
      const refusal = await startOne(app, event.phoneNumber, ip(random));
      if (event.kind === "attack") {
        result.attackStarts++;
        attackNumbers.add(event.phoneNumber);
        continue;
      }
      result.legitStarts++;
      if (event.country === ATTACK.country) result.legitInTarget++;
      if (typeof refusal === "string") {
        result.legitRefused++;
        if (event.country === ATTACK.country) result.legitRefusedInTarget++;
        result.refusedBy[refusal] = (result.refusedBy[refusal] ?? 0) + 1;
      } else if (refusal && random() < 0.8) {
        insert(queue, { at: event.at + 15_000 + random() * 75_000, kind: "check", id: refusal.id, phoneNumber: event.phoneNumber });
      }
    }
    result.attackSent = [...attackNumbers].filter((number) => sent.to.has(number)).length;
    result.blocks = (await app.fraud.listBlocks()).map((block) => `${block.scope} ${block.key} (level ${block.level})`);
  } finally {
    await app.close();
  }
  return result;
}

/** Starts one verification: its record when sent, the refusal's reason when the guard refused. */
async function startOne(app: App, phoneNumber: string, clientIp: string): Promise<{ id: string } | string | undefined> {
  try {
    return await app.service.start({ phoneNumber, clientIp });
  } catch (error) {
    if (error instanceof VerifyError && error.kind === "permission_denied") return error.reason ?? "permission_denied";
    throw error;
  }
}

function simulationConfig(fraud: Record<string, unknown>): Config {
  const base = benchConfig({ smsOutcome: "deliver", deliveryWindow: "10m", codeTtl: "10m", maxCheckAttempts: 5, logLevel: "silent" });
  return { ...base, fraud: fraudSchema.parse(fraud) } as Config;
}

/** Records, per number, that a provider was asked to send to it and the code it carried. */
function captureSends(app: App): { to: Set<string>; codes: Map<string, string> } {
  const to = new Set<string>();
  const codes = new Map<string, string>();
  for (const adapter of app.providers.values()) {
    const send = adapter.send.bind(adapter);
    adapter.send = (message, signal) => {
      to.add(message.to);
      codes.set(message.to, message.code);
      return send(message, signal);
    };
  }
  return { to, codes };
}

/** Every Start, in time order: legitimate users all along, the attack in its 20 minutes. */
function timeline(random: () => number, start: number, attackRanges: number, phases: { attackFromMin: number; durationMin: number }): Event[] {
  const events: Event[] = [];
  const pools = LEGIT_COUNTRIES.map((entry) => ({ ...entry, prefixes: rangePrefixes(random, entry.template, entry.country, entry.ranges) }));
  for (let i = 0; i < LEGIT_PER_MINUTE * phases.durationMin; i++) {
    const pool = pickByShare(pools, random());
    events.push({
      at: start + random() * phases.durationMin * MINUTE,
      kind: "legit",
      country: pool.country,
      phoneNumber: numberIn(random, pool.prefixes, pool.country),
    });
  }
  const attackPrefixes = rangePrefixes(random, ATTACK_TEMPLATE, ATTACK.country, attackRanges);
  for (let i = 0; i < ATTACK.starts; i++) {
    // Round-robin over the ranges, walking each: what a pumping bot does to stay under per-range limits.
    const prefix = attackPrefixes[i % attackPrefixes.length]!;
    const phoneNumber = `${prefix}${String(Math.floor(i / attackPrefixes.length) * 7 + 1000)
      .padStart(4, "0")
      .slice(-4)}`;
    events.push({ at: start + (phases.attackFromMin + random() * ATTACK.minutes) * MINUTE, kind: "attack", phoneNumber });
  }
  return events.sort((a, b) => a.at - b.at);
}

/** The entry whose share of [0, 1) holds `draw`. */
function pickByShare<T extends { share: number }>(entries: readonly T[], draw: number): T {
  let left = draw;
  for (const entry of entries) {
    left -= entry.share;
    if (left < 0) return entry;
  }
  return entries[0]!;
}

/** `count` distinct range prefixes (E.164 less 4 digits) from a template (N: 2–9, X: 0–9, A: an operator digit 1/3/4/7) whose numbers are valid mobiles. */
function rangePrefixes(random: () => number, template: string, country: string, count: number): string[] {
  const found = new Set<string>();
  for (let tries = 0; found.size < count && tries < count * 200; tries++) {
    const prefix = template.replace(/[NXA]/g, (slot) =>
      slot === "N" ? String(2 + Math.floor(random() * 8)) : slot === "A" ? "1347"[Math.floor(random() * 4)]! : String(Math.floor(random() * 10)),
    );
    if (!found.has(prefix) && isMobile(`${prefix}1234`, country)) found.add(prefix);
  }
  if (found.size < count) throw new Error(`only ${found.size} of ${count} ranges found for ${template}`);
  return [...found];
}

function numberIn(random: () => number, prefixes: readonly string[], country: string): string {
  for (;;) {
    const phoneNumber = `${prefixes[Math.floor(random() * prefixes.length)]}${String(Math.floor(random() * 10_000)).padStart(4, "0")}`;
    if (isMobile(phoneNumber, country)) return phoneNumber;
  }
}

function isMobile(e164: string, country: string): boolean {
  try {
    const parsed = parsePhoneNumberWithError(e164);
    const type = parsed.getType();
    return parsed.isValid() && parsed.country === country && (type === "MOBILE" || type === "FIXED_LINE_OR_MOBILE");
  } catch {
    return false;
  }
}

function insert(queue: Event[], event: Event): void {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (queue[mid]!.at <= event.at) low = mid + 1;
    else high = mid;
  }
  queue.splice(low, 0, event);
}

/** A client address from a large pool: the attacker rotates, users differ. */
function ip(random: () => number): string {
  return `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
}

/** mulberry32: the same run every time. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
