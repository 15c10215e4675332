/**
 * `npm run bench:soak` (`npx tsx bench/soak.ts`): does the memory store hold
 * its heap flat under steady traffic? (issue 10). Each scenario runs in its
 * own `node --expose-gc` process: verifyd on the memory store, and in the
 * same process a load loop that makes Start + Check pairs at a steady rate,
 * with the right code, so every verification ends VERIFIED. By default the
 * pairs call verifyd's service directly (as bench/timers.ts does): the RPC
 * layers add garbage per call but keep nothing, and without them the rate
 * holds on a busy machine; `--via connect` sends them over Connect (HTTP/2,
 * binary) instead. Every second the process forces a GC and samples `heapUsed`, the
 * records held and the evictions so far.
 *
 * Scenarios:
 *  - retention: a short retention (and code TTL, since a finished record is
 *    kept until its code would have expired plus the retention): the purge
 *    keeps the store at rate × (TTL + retention).
 *  - bound: a 24 h retention with a small `max_records`: eviction keeps the
 *    store at `max_records`.
 *  - unbounded: a 24 h retention with no effective bound, for contrast: what
 *    issue 10 described (the heap grows with every Start).
 *
 *   npx tsx bench/soak.ts [--seconds 60] [--rate 200] [--via service|connect] [--scenarios retention,bound,unbounded] [--write]
 *
 * "Flat": after the store has settled (records leave as fast as they come),
 * the heap grows by less than a tenth of a verification's footprint (1,631 B,
 * bench/RESULTS.md) per further verification: the least-squares slope of
 * heapUsed over those samples, divided by the verifications completed per
 * second meanwhile. Kept, every verification would add the whole footprint,
 * as the unbounded scenario shows. --write puts the report into bench/RESULTS.md as the
 * section "Soak (issue 10)", replacing an earlier one.
 */
import { fork } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { VerificationService } from "../gen/verify/v1/verify_pb.js";
import { parseConfig } from "../src/config/load-config.js";
import { type App, startApp } from "../src/server/app.js";
import type { MemoryStore } from "../src/store/memory/memory-store.js";
import { createLogger } from "../src/telemetry/logger.js";
import { Telemetry } from "../src/telemetry/telemetry.js";
import { BENCH_HMAC_KEY, fmtInt, phonePool, REPO_ROOT, sleep, writeResultsSection } from "./shared.js";

type ScenarioName = "retention" | "bound" | "unbounded";
type Via = "service" | "connect";

/** Start and Check, whatever carries them. */
interface PairApi {
  /** Resolves to the new verification's id. */
  start(phoneNumber: string): Promise<string>;
  check(verificationId: string, code: string): Promise<boolean>;
  close(): void;
}

interface Scenario {
  name: ScenarioName;
  what: string;
  retention: string;
  codeTtl: string;
  maxRecords: number;
  /** The second from which records leave as fast as they come, judged from the samples; undefined if never. */
  settledAt(samples: readonly Sample[]): number | undefined;
}

const SCENARIOS: Record<ScenarioName, Scenario> = {
  retention: {
    name: "retention",
    what: "retention 5 s, code TTL 5 s, default max_records",
    retention: "5s",
    codeTtl: "5s",
    maxRecords: 200_000,
    // Kept until TTL + retention (10 s), purged within a second after; the rest is margin.
    settledAt: () => 15,
  },
  bound: {
    name: "bound",
    what: "retention 24 h, max_records 2,000",
    retention: "24h",
    codeTtl: "10m",
    maxRecords: 2_000,
    // Five seconds after the first eviction: the store is full, and stays so.
    settledAt: (samples) => {
      const first = samples.find((sample) => sample.evicted > 0);
      return first && first.second + 5;
    },
  },
  unbounded: {
    name: "unbounded",
    what: "retention 24 h, no effective bound (max_records 100,000,000): the issue's case",
    retention: "24h",
    codeTtl: "10m",
    maxRecords: 100_000_000,
    settledAt: () => 15,
  },
};

interface Sample {
  second: number;
  heapUsed: number;
  records: number;
  evicted: number;
  /** Start + Check pairs completed so far. */
  pairs: number;
}

interface ScenarioResult {
  name: ScenarioName;
  via: Via;
  seconds: number;
  rate: number;
  pairs: number;
  errors: number;
  errorSample?: string;
  /** Pairs not started because too many were still in flight (the server fell behind). */
  skipped: number;
  samples: Sample[];
  settledAt: number;
  /** Least-squares slope of heapUsed over the settled samples, bytes per minute. */
  slopePerMinute: number;
  /** That growth per verification completed meanwhile, bytes. */
  bytesPerVerification: number;
  flat: boolean;
}

/** Heap per verification held (bench/RESULTS.md, 100,000 pending): what each one adds when none is dropped. */
const BYTES_PER_RECORD = 1_631;
const FLAT_BYTES_PER_VERIFICATION = BYTES_PER_RECORD / 10;
/**
 * Pairs in flight at most: when the machine falls behind, pairs are skipped
 * (and counted) rather than queued, so a backlog's memory does not read as
 * the store growing.
 */
const MAX_IN_FLIGHT = 100;
/** How often the load loop starts the pairs that have come due. */
const TICK_MS = 10;

function soakConfigYaml(scenario: Scenario): string {
  // Every other bounded structure is kept small, so that it fills within seconds and what is left to see is the store.
  const simulate = "{ default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 100 }, outbox_limit: 100, status_limit: 1000 }";
  return `
server: { port: 0, host: 127.0.0.1, shutdown_grace: 2s }
store: { type: memory, retention: ${scenario.retention}, max_records: ${scenario.maxRecords} }
security: { code_hmac_key: "${BENCH_HMAC_KEY}" }
log: { level: warn }
# The bench sends to thousands of numbers in a few ranges: the fraud guard's prefix velocity would refuse most.
fraud: { mode: off }
policy: { code_length: 6, code_ttl: ${scenario.codeTtl}, delivery_window: 30s, max_check_attempts: 5, resend_min_interval: 30s }
rate_limits:
  per_phone: { limit: 1000000, window: 5s }
  per_ip: { limit: 1000000000, window: 5s }
  check_per_ip: { limit: 1000000000, window: 5s }
providers:
  - { name: sim-a, type: simulator, channels: [sms], simulate: ${simulate} }
  - { name: sim-b, type: simulator, channels: [sms], simulate: ${simulate} }
routing: { default: [sim-a, sim-b] }
`;
}

// --- the scenario process --------------------------------------------------------------

function heapAfterGc(): number {
  const gc = globalThis.gc;
  if (!gc) throw new Error("run with --expose-gc (bench/soak.ts forks itself so)");
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function pairApi(app: App, via: Via): PairApi {
  if (via === "service") {
    return {
      start: async (phoneNumber) => (await app.service.start({ phoneNumber })).id,
      check: async (verificationId, code) => (await app.service.check(verificationId, code)).approved,
      close() {},
    };
  }
  const sessions = new Http2SessionManager(app.url);
  const client = createClient(VerificationService, createConnectTransport({ baseUrl: app.url, httpVersion: "2", useBinaryFormat: true, sessionManager: sessions }));
  return {
    start: async (phoneNumber) => (await client.start({ phoneNumber })).verification!.id,
    check: async (verificationId, code) => (await client.check({ verificationId, code })).approved,
    close: () => sessions.abort(),
  };
}

async function runScenario(scenario: Scenario, seconds: number, rate: number, via: Via): Promise<ScenarioResult> {
  const config = parseConfig(soakConfigYaml(scenario), {}, "soak config");
  const app = await startApp(config, { port: 0, host: "127.0.0.1", logger: createLogger("warn"), telemetry: Telemetry.off() });
  const store = app.store as MemoryStore;
  // The code each verification was sent, read where the simulator is handed it (what a user would read off the SMS).
  const codes = new Map<string, string>();
  for (const adapter of app.providers.values()) {
    const send = adapter.send.bind(adapter);
    adapter.send = (message, signal) => {
      codes.set(message.reference.verificationId, message.code);
      return send(message, signal);
    };
  }
  const api = pairApi(app, via);
  // Numbers come round again after 30 s, by when their last verification has long been verified.
  const numbers = phonePool(rate * 30);
  let nextNumber = 0;
  let inFlight = 0;
  let pairs = 0;
  let errors = 0;
  let skipped = 0;
  let errorSample: string | undefined;

  const pair = async (phoneNumber: string) => {
    inFlight++;
    try {
      const id = await api.start(phoneNumber);
      const code = codes.get(id);
      codes.delete(id);
      if (code === undefined) throw new Error(`no code was sent for ${id}`);
      if (!(await api.check(id, code))) throw new Error(`the right code was not approved for ${id}`);
      pairs++;
    } catch (error) {
      errors++;
      errorSample ??= error instanceof Error ? error.message : String(error);
    } finally {
      inFlight--;
    }
  };

  // Paced by the clock, not by counting ticks: timers fire late under load, and the rate must not sag with them.
  const loadBegan = performance.now();
  let issued = 0;
  const load = setInterval(() => {
    const due = Math.floor(((performance.now() - loadBegan) * rate) / 1000);
    for (; issued < due; issued++) {
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      void pair(numbers[nextNumber++ % numbers.length]!);
    }
  }, TICK_MS);

  const samples: Sample[] = [{ second: 0, heapUsed: heapAfterGc(), records: store.size, evicted: store.evicted, pairs }];
  const began = performance.now();
  for (let second = 1; second <= seconds; second++) {
    await sleep(Math.max(0, began + second * 1000 - performance.now()));
    samples.push({ second, heapUsed: heapAfterGc(), records: store.size, evicted: store.evicted, pairs });
    report(
      `${scenario.name} ${second}s: heap ${mib(samples.at(-1)!.heapUsed)}, ${fmtInt(store.size)} records, ${fmtInt(store.evicted)} evicted, ${fmtInt(pairs)} pairs, ${inFlight} in flight`,
    );
  }
  clearInterval(load);
  while (inFlight > 0) await sleep(10);
  api.close();
  await app.close();

  const settledAt = Math.min(scenario.settledAt(samples) ?? seconds, Math.floor(seconds / 2));
  const settled = samples.filter((sample) => sample.second >= settledAt);
  const slopePerMinute = slope(settled.map((sample) => [sample.second, sample.heapUsed])) * 60;
  const pairsPerMinute = ((settled.at(-1)!.pairs - settled[0]!.pairs) / (settled.at(-1)!.second - settled[0]!.second)) * 60;
  const bytesPerVerification = slopePerMinute / pairsPerMinute;
  return {
    name: scenario.name,
    via,
    seconds,
    rate,
    pairs,
    errors,
    errorSample,
    skipped,
    samples,
    settledAt,
    slopePerMinute,
    bytesPerVerification,
    flat: bytesPerVerification < FLAT_BYTES_PER_VERIFICATION,
  };
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return covariance / variance;
}

function report(line: string): void {
  if (process.send) process.send({ type: "log", line });
  else console.log(line);
}

// --- the parent: one process per scenario, then the report ------------------------------------

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

function forkScenario(name: ScenarioName, seconds: number, rate: number, via: Via): Promise<ScenarioResult> {
  const child = fork(fileURLToPath(import.meta.url), ["--child", name, "--seconds", String(seconds), "--rate", String(rate), "--via", via], {
    cwd: REPO_ROOT,
    execArgv: ["--expose-gc", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    let result: ScenarioResult | undefined;
    child.on("message", (message: { type: "log"; line: string } | { type: "result"; result: ScenarioResult }) => {
      if (message.type === "log") console.log(`  ${message.line}`);
      else result = message.result;
    });
    child.once("exit", (code, signal) => (result ? resolve(result) : reject(new Error(`soak scenario ${name} exited (${signal ?? code}) without a result`))));
  });
}

function markdown(results: readonly ScenarioResult[], startedAt: Date, loadAverage: number, command: string): string {
  const lines: string[] = [];
  const cpus = os.cpus();
  lines.push("## Soak (issue 10)", "");
  lines.push(`- Command: \`${command}\``);
  lines.push(
    `- Date: ${startedAt.toISOString()}; node ${process.version}; ${cpus[0]?.model ?? "unknown CPU"} × ${cpus.length}; load average ${loadAverage.toFixed(1)} at the start (others' work shares the machine: "skipped" counts the pairs it could not fit)`,
  );
  const first = results[0]!;
  lines.push(
    `- Load: Start + Check (right code) pairs offered at ${first.rate}/s for ${first.seconds} s per scenario, ${first.via === "service" ? "calling verifyd's service directly" : "over Connect (HTTP/2, binary), client in the server's process"}; at most ${MAX_IN_FLIGHT} in flight (beyond, a pair is skipped and counted)`,
    "",
  );
  lines.push(
    `| Scenario | Verifications (per s) / errors / skipped | Records held at the end | Evicted | Heap at settle → end | Heap growth after settle | Per further verification | Flat (< ${fmtInt(FLAT_BYTES_PER_VERIFICATION)} B) |`,
  );
  lines.push("|---|---|---|---|---|---|---|---|");
  for (const result of results) {
    const scenario = SCENARIOS[result.name];
    const settle = result.samples.find((sample) => sample.second === result.settledAt)!;
    const last = result.samples.at(-1)!;
    lines.push(
      `| ${result.name}: ${scenario.what} | ${fmtInt(result.pairs)} (${fmtInt(result.pairs / result.seconds)}) / ${fmtInt(result.errors)} / ${fmtInt(result.skipped)} | ${fmtInt(last.records)} | ${fmtInt(last.evicted)} | ${mib(settle.heapUsed)} (${result.settledAt} s) → ${mib(last.heapUsed)} | ${(result.slopePerMinute / (1 << 20)).toFixed(2)} MiB/min | ${fmtInt(result.bytesPerVerification)} B | ${result.flat ? "**yes**" : "**no**"} |`,
    );
  }
  lines.push("", "Heap used after GC (MiB) and records held, every 5 s:", "");
  const seconds = first.samples.filter((sample) => sample.second % 5 === 0).map((sample) => sample.second);
  lines.push(`| s | ${results.map((result) => `${result.name} heap | records`).join(" | ")} |`);
  lines.push(`|---|${results.map(() => "---|---").join("|")}|`);
  for (const second of seconds) {
    const cells = results.map((result) => {
      const sample = result.samples.find((s) => s.second === second);
      return sample ? `${(sample.heapUsed / (1 << 20)).toFixed(1)} | ${fmtInt(sample.records)}` : " | ";
    });
    lines.push(`| ${second} | ${cells.join(" | ")} |`);
  }
  lines.push(
    "",
    "Method: bench/soak.ts, one `node --expose-gc` process per scenario running verifyd (memory store, two instant simulators, telemetry off) and the load loop. " +
      "Every second: two forced GCs, then `heapUsed`, `MemoryStore.size` and `MemoryStore.evicted`. The growth is the least-squares slope of the samples from the settle time on " +
      "(when records leave as fast as they come: after code TTL + retention, or 5 s after the first eviction), and per verification that slope over the verifications completed meanwhile; " +
      `kept, each would add its whole footprint (${fmtInt(BYTES_PER_RECORD)} B, "heap per pending verification" above), as the unbounded scenario shows. ` +
      "The other bounded structures (simulator outbox and status memory, per-number rate-limit windows, the store's event logs) are configured small so they fill in the first seconds.",
  );
  for (const result of results) if (result.errorSample) lines.push("", `${result.name}: first error: ${result.errorSample}`);
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "60" },
      rate: { type: "string", default: "200" },
      via: { type: "string", default: "service" },
      scenarios: { type: "string", default: "retention,bound,unbounded" },
      write: { type: "boolean", default: false },
      child: { type: "string" },
    },
  });
  const seconds = Number(values.seconds);
  const rate = Number(values.rate);
  const via: Via = values.via === "connect" ? "connect" : "service";
  if (values.child) {
    const result = await runScenario(SCENARIOS[values.child as ScenarioName], seconds, rate, via);
    process.send?.({ type: "result", result });
    return;
  }
  const names = values.scenarios.split(",").filter((name): name is ScenarioName => name in SCENARIOS);
  const startedAt = new Date();
  const loadAverage = os.loadavg()[0]!;
  const results: ScenarioResult[] = [];
  for (const name of names) {
    console.log(`${name}: ${SCENARIOS[name].what}; ${rate} pairs/s for ${seconds} s`);
    results.push(await forkScenario(name, seconds, rate, via));
  }
  const args = process.argv.slice(2).filter((arg) => arg !== "--write");
  const section = markdown(results, startedAt, loadAverage, ["npx tsx bench/soak.ts", ...args].join(" "));
  console.log(`\n${section}`);
  if (values.write) {
    writeResultsSection("Soak (issue 10)", section);
    console.log("written to bench/RESULTS.md (section Soak (issue 10))");
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
