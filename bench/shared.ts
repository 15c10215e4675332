/**
 * Helpers shared by the benchmark's processes: the phone-number pool, the
 * configurations, percentiles, formatting and the IPC message shapes.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parsePhoneNumber } from "libphonenumber-js/max";
import { pino } from "pino";
import { parseConfig } from "../src/config/load-config.js";
import type { Config } from "../src/config/schema.js";

export const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));

/** A fixed key, so no "random key" warning and no per-run difference. Not a secret. */
export const BENCH_HMAC_KEY = "bench-only-hmac-key-not-a-secret-0123456789";

// --- phone numbers -------------------------------------------------------------

/**
 * Distinct, valid (libphonenumber-js/max isValid, country US) numbers, made up
 * front. Exchanges are probed with one number first and skipped when it is
 * invalid (US validity is decided by area code + exchange), then every number
 * kept is still checked with isValid. 555 exchanges (the demo rules) are skipped.
 * Deterministic: the same count gives the same numbers.
 */
export function phonePool(count: number): string[] {
  const out: string[] = [];
  // Line numbers per exchange; spread over many exchanges so prefixes vary.
  const perExchange = 200;
  for (let npa = 201; npa <= 989 && out.length < count; npa++) {
    for (let nxx = 201; nxx <= 999 && out.length < count; nxx++) {
      if (nxx === 555 || nxx % 100 === 11) continue;
      const head = `+1${npa}${nxx}`;
      if (!isValidNumber(`${head}4321`)) continue;
      for (let i = 0; i < perExchange && out.length < count; i++) {
        const line = String(1000 + i * 37).padStart(4, "0");
        const number = head + line;
        if (isValidNumber(number)) out.push(number);
      }
    }
  }
  if (out.length < count) throw new Error(`phone pool: only ${out.length} of ${count} valid numbers found`);
  return out;
}

/** Valid, and in the US (+1 also covers Canada and the Caribbean). */
function isValidNumber(e164: string): boolean {
  try {
    const parsed = parsePhoneNumber(e164);
    return parsed.isValid() && parsed.country === "US";
  } catch {
    return false;
  }
}

// --- configurations --------------------------------------------------------------

export interface BenchConfigOptions {
  /** Outcome of both SMS simulators for ordinary numbers. */
  smsOutcome: "drop" | "deliver";
  dlrDelayMs?: number;
  deliveryWindow: string;
  codeTtl: string;
  maxCheckAttempts: number;
  logLevel?: string;
  /** false: no provider statistics and table-order routing (the "scoring off" comparison). */
  scoring?: boolean;
  /**
   * fraud.mode; "off" unless given: the throughput benchmarks send to many
   * numbers of few ranges and never verify, which is what the guard refuses
   * (bench/pumping.ts measures the guard's own cost).
   */
  fraud?: "enforce" | "monitor" | "off";
}

/**
 * The embedded default (src/config/default-config.ts) with the differences a
 * benchmark needs: instant simulators (latency 0) that never send a receipt
 * during the run, generous rate limits, and the delivery window and TTL given.
 * The demo rules stay, so rule matching costs what it costs in the default.
 */
export function benchConfig(options: BenchConfigOptions): Config {
  const dlr = options.dlrDelayMs ?? 0;
  const sms = `{ outcome: ${options.smsOutcome}, latency_ms: 0, dlr_delay_ms: ${dlr} }`;
  const yaml = `
server: { port: 0, host: 127.0.0.1, shutdown_grace: 2s }
store: { type: memory }
security: { code_hmac_key: "${BENCH_HMAC_KEY}" }
policy: { code_length: 6, code_ttl: ${options.codeTtl}, delivery_window: ${options.deliveryWindow}, max_check_attempts: ${options.maxCheckAttempts}, resend_min_interval: 30s, auto_escalate: false }
rate_limits:
  per_phone: { limit: 1000000, window: 10m }
  per_ip: { limit: 1000000000, window: 10m }
  check_per_ip: { limit: 1000000000, window: 10m }
log: { level: ${options.logLevel ?? "warn"} }
scoring: { enabled: ${options.scoring ?? true} }
fraud: { mode: ${options.fraud ?? "off"} }
providers:
  - name: sim-a
    type: simulator
    channels: [sms]
    cost: 0.0075
    simulate:
      default: ${sms}
      rules:
        - { match: "+1202555011*", outcome: reject, error: no_route }
        - { match: "+1202555012*", outcome: drop, latency_ms: 20 }
        - { match: "+1202555013*", outcome: reject, error: unavailable }
        - { match: "+1202555014*", outcome: undelivered, latency_ms: 20, dlr_delay_ms: 1000 }
  - name: sim-b
    type: simulator
    channels: [sms]
    cost: 0.0090
    simulate:
      default: ${sms}
      rules:
        - { match: "+1202555013*", outcome: reject, error: no_route }
  - name: sim-voice
    type: simulator
    channels: [voice]
    cost: 0.0130
    simulate:
      default: { outcome: drop, latency_ms: 0 }
routing:
  default: [sim-a, sim-b, sim-voice]
  countries:
    DE: [sim-b, sim-a, sim-voice]
`;
  return parseConfig(yaml, {}, "bench config");
}

// --- logging ---------------------------------------------------------------------

export interface LogTally {
  warnings: number;
  errors: number;
  /** The first few warning/error lines, as logged (JSON). */
  samples: string[];
}

/**
 * A warn-level logger for the server under test that counts what it logs and
 * prints only the first few lines, so a fault shows in the results without
 * flooding the output with one line per call.
 */
export function countingLogger(print: (line: string) => void, keep = 3): { logger: pino.Logger; tally: LogTally } {
  const tally: LogTally = { warnings: 0, errors: 0, samples: [] };
  const destination = {
    write(line: string) {
      const level = (JSON.parse(line) as { level?: number }).level ?? 0;
      if (level >= 50) tally.errors++;
      else tally.warnings++;
      if (tally.samples.length < keep) {
        tally.samples.push(line.trim());
        print(`  server log: ${line.trim().slice(0, 500)}`);
      }
    },
  };
  return { logger: pino({ name: "verifyd", level: "warn", base: { service: "verifyd" } }, destination), tally };
}

// --- statistics ------------------------------------------------------------------

export interface Distribution {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of the first `count` samples (sorted in place). */
export function distribution(samples: Float64Array, count = samples.length): Distribution {
  const sorted = samples.subarray(0, count).sort();
  const at = (q: number) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))]!);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i]!;
  return { count, mean: count ? sum / count : NaN, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: count ? sorted[count - 1]! : NaN };
}

/** A growable Float64 sample buffer without per-sample allocation. */
export class Samples {
  #data: Float64Array;
  #length = 0;

  constructor(capacity = 1 << 16) {
    this.#data = new Float64Array(capacity);
  }

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  get length(): number {
    return this.#length;
  }

  reset(): void {
    this.#length = 0;
  }

  distribution(): Distribution {
    return distribution(this.#data, this.#length);
  }
}

// --- formatting ------------------------------------------------------------------

export const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
export const fmtMs = (n: number) => (Number.isNaN(n) ? "n/a" : n < 10 ? `${n.toFixed(2)} ms` : n < 100 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`);
export const fmtBytes = (n: number) => (Math.abs(n) >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${Math.round(n).toLocaleString("en-US")} B`);

/** CPU time spent busy on all cores since boot, in ms (from os.cpus()); for "what else ran" figures. */
export function machineBusyMs(): number {
  let busy = 0;
  for (const cpu of cpus()) busy += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  return busy;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- IPC between run.ts and its children ----------------------------------------------

export type Rpc = "echo" | "start" | "check";

/**
 * How the load client calls: "raw" is the Connect protocol (binary) written on
 * node:http2 directly; "connect" and "grpc" are @connectrpc/connect's client on
 * its Connect (HTTP/2, binary) or gRPC transport.
 */
export type ClientKind = "raw-grpc" | "raw" | "connect" | "grpc";
export const CLIENT_KINDS: readonly ClientKind[] = ["raw-grpc", "raw", "connect", "grpc"];

/** run.ts → load-client.ts */
export type ClientCommand =
  /** `skip`: numbers of phonePool to leave out first (the caller uses those itself). */
  | { type: "prepare"; poolSize: number; skip?: number }
  | { type: "client"; client: ClientKind; url: string }
  | { type: "run"; rpc: Rpc; concurrency: number; warmupMs: number; durationMs: number; ratePerSecond?: number }
  | { type: "exit" };

export interface PhaseResult {
  rpc: Rpc;
  client: ClientKind;
  concurrency: number;
  /** Calls completed inside the measured window. */
  count: number;
  errors: number;
  errorSamples: string[];
  /** Check only: how many came back approved (should be 0: the code is wrong on purpose). */
  approved: number;
  durationMs: number;
  throughput: number;
  latency: Distribution;
  /** Client process CPU over the measured window, % of one core. */
  clientCpuPct: number;
  /** The phase ended early because it ran out of phone numbers or verifications. */
  exhausted: boolean;
}

/** load-client.ts → run.ts */
export type ClientMessage =
  | { type: "ready"; poolSize: number; poolMs: number }
  | { type: "client-ready" }
  | { type: "mark"; rpc: Rpc; edge: "begin" | "end" }
  | { type: "result"; result: PhaseResult }
  | { type: "log"; message: string };

export interface TimerBenchResult {
  pending: number;
  creationMs: number;
  creationRate: number;
  calibrationRate: number;
  deliveryWindowMs: number;
  heapBefore: number;
  heapPending: number;
  rssBefore: number;
  rssPending: number;
  bytesPerPending: number;
  /** Lateness samples collected (one per claimed timer) and their distribution. */
  lateness: Distribution;
  /** Timers that ran before creation finished (the window was too short if > 0). */
  firedDuringCreation: number;
  /** Records whose first attempt timed out and whose second went to the other SMS provider. */
  failedOver: number;
  /** From first due time to the last claim. */
  drainMs: number;
  eventLoopDelay: { p50: number; p99: number; max: number };
  /** The longest gap between 10 ms ticks: how long, when it began (ms after the first window ended), and how many timers had been claimed when it ended. */
  longestStall: { ms: number; startedAtMs: number; claimedByEnd: number };
  timedOut: boolean;
  log: LogTally;
  /** CPU used by this process and by everything else while the windows ran out, % of one core. */
  ownCpuPct: number;
  otherCpuPct: number;
  /** The Starts sent over gRPC (open loop, from another process) while the windows ran out. */
  startLoad?: PhaseResult & { ratePerSecond: number };
}

const RESULTS = join(BENCH_DIR, "RESULTS.md");

/**
 * Replaces the section of bench/RESULTS.md that starts with `heading` (up to
 * the next "## "), or appends it: each bench owns its sections and leaves the
 * others' alone.
 */
export function writeResultsSection(heading: string, section: string): void {
  const text = readFileSync(RESULTS, "utf8");
  const start = text.indexOf(`## ${heading}`);
  if (start < 0) {
    writeFileSync(RESULTS, `${text.trimEnd()}\n\n${section.trimEnd()}\n`);
    return;
  }
  const next = text.indexOf("\n## ", start + 1);
  writeFileSync(RESULTS, `${text.slice(0, start)}${section.trimEnd()}\n${next < 0 ? "" : text.slice(next)}`);
}

/** The sections other benches wrote (headings "## … (issue N)" not in `own`), to carry over when a bench rewrites the file. */
export function otherResultsSections(own: readonly string[]): string {
  const text = readFileSync(RESULTS, "utf8");
  const sections = text.split(/\n(?=## )/).filter((part) => part.startsWith("## "));
  return sections.filter((part) => /\(issue \d+\)/.test(part.split("\n")[0]!) && !own.some((heading) => part.startsWith(`## ${heading}`))).join("\n");
}
