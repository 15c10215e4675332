import { parsePhoneNumberWithError } from "libphonenumber-js/max";
import { BSON } from "mongodb";
import type { Config } from "../src/config/schema.js";
import { fraudSchema } from "../src/fraud/config.js";
import { CONVERSION_BUCKETS, VELOCITY_BUCKETS, windowShape } from "../src/fraud/window.js";
import { type App, startApp } from "../src/server/app.js";
import { MemoryFraudState } from "../src/store/memory/fraud-state.js";
import { createLogger } from "../src/telemetry/logger.js";
import { type SimulationResult, simulate } from "./pumping-sim.js";
import { wireFigures } from "./pumping-wire.js";
import { benchConfig, fmtBytes, fmtInt, writeResultsSection } from "./shared.js";

const ROUNDS = Number(process.env.PUMPING_ROUNDS ?? 8);
const STARTS_PER_ROUND = Number(process.env.PUMPING_STARTS ?? 3_000);
const CONCURRENCY = 64;
const PREFIXES = 100_000;

/** Every guard runs its whole path (state read, decisions, counting) but refuses nothing: the benches' traffic is never verified. */
const GUARDED = { prefix_velocity: { limit: 1_000_000 }, conversion_guard: { min_sends: 1_000_000 } };

const pct = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)}%`;

async function main(): Promise<void> {
  const lines: string[] = [];
  const log = (line = "") => {
    console.log(line);
    lines.push(line);
  };
  log("## Fraud guard (issue 11)");
  log();
  log(
    `- Date: ${new Date().toISOString()}; Node ${process.version}; reproduce: \`npm run bench:pumping\` (bench/pumping.ts, bench/pumping-sim.ts, bench/pumping-wire.ts; \`PUMPING_ONLY=attack|throughput|wire|memory\` runs one section and writes nothing)`,
  );
  log();
  const only = process.env.PUMPING_ONLY;
  if (!only || only === "attack") await attackFigures(log);
  if (!only || only === "throughput") await throughputFigures(log);
  if (!only || only === "wire") {
    // Fresh servers: none of the in-process run's verifications or guard state.
    const apps = { off: await appWith({ mode: "off" }), on: await appWith(GUARDED) };
    await wireFigures(apps, log);
    await apps.off.close();
    await apps.on.close();
  }
  if (!only || only === "memory") await memoryFigures(log);
  // A partial run is for looking at one figure; only a whole run is written down.
  if (!only) writeResultsSection("Fraud guard (issue 11)", lines.join("\n"));
  process.exit(0);
}

async function attackFigures(log: (line?: string) => void): Promise<void> {
  log("### Pumping simulation (default `fraud` settings)");
  log();
  log(
    "Legitimate users: 30 Starts a minute for 120 simulated minutes, on their own ranges in US (50%), GB (20%), DE (15%) and UZ (15%, 30 ranges), verifying 80% of codes 15–90 s later. " +
      "Attacker: 1,000 Starts in minutes 70–90 to UZ mobile ranges of other operators, round-robin over the ranges, a new client IP each, never verifying. " +
      "verifyd in-process on a hand-moved clock (memory store, simulators), driven through the service.",
  );
  log();
  log("| attack spread | guard | attack sends that reached a provider | legitimate Starts refused | of them in UZ | blocks in force at the end |");
  log("|---|---|---|---|---|---|");
  const row = (label: string, guard: string, r: SimulationResult) =>
    log(
      `| ${label} | ${guard} | ${fmtInt(r.attackSent)} of ${fmtInt(r.attackStarts)} (**${pct(r.attackSent, r.attackStarts)}**) | ${fmtInt(r.legitRefused)} of ${fmtInt(r.legitStarts)} (**${pct(r.legitRefused, r.legitStarts)}**) | ${r.legitRefusedInTarget} of ${r.legitInTarget} | ${r.blocks.join(", ") || "none"} |`,
    );
  row("50 ranges", "off", await simulate({ ranges: 50, fraud: { mode: "off" } }));
  for (const ranges of [10, 50, 200]) row(`${ranges} ranges`, "defaults", await simulate({ ranges, fraud: {} }));
  row("50 ranges, cold start", "defaults", await simulate({ ranges: 50, fraud: {}, coldStart: true }));
  log();
  log(
    "Targets: at most 10% of attack sends reach a provider, under 1% of legitimate Starts refused. The cold-start row starts the attack with the guard's state empty (minute 0 of a 50-minute run): " +
      'no UZ range has proven itself yet, so the country block refuses legitimate UZ users too until their ranges convert, which they cannot while refused. With the MongoDB store the state survives restarts; see README, "Fraud guard".',
  );
  log();
}

async function throughputFigures(log: (line?: string) => void): Promise<void> {
  const apps = { off: await appWith({ mode: "off" }), on: await appWith(GUARDED) };
  const numbers = numberPool(STARTS_PER_ROUND * ROUNDS * 2 + 4_000);
  const rounds = { off: [] as Array<{ wallUs: number; cpuUs: number }>, on: [] as Array<{ wallUs: number; cpuUs: number }> };
  // Warm-up: both apps, off the record.
  await startRound(apps.off, numbers.slice(0, 2_000));
  await startRound(apps.on, numbers.slice(2_000, 4_000));
  let next = 4_000;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
      const batch = numbers.slice(next, next + STARTS_PER_ROUND);
      next += STARTS_PER_ROUND;
      const cpu = process.cpuUsage();
      const began = performance.now();
      await startRound(apps[mode], batch);
      const used = process.cpuUsage(cpu);
      rounds[mode].push({ wallUs: ((performance.now() - began) * 1000) / batch.length, cpuUs: (used.user + used.system) / batch.length });
    }
  }
  await apps.off.close();
  await apps.on.close();
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const figure = (mode: "off" | "on", key: "wallUs" | "cpuUs") => median(rounds[mode].map((r) => r[key]));
  log("### Start throughput, every guard on next to off");
  log();
  log(
    `In-process \`service.start\` (no HTTP, so the guard's share is at its largest), ${CONCURRENCY} in flight, ${ROUNDS} rounds of ${fmtInt(STARTS_PER_ROUND)} Starts per mode, alternating, a new number per Start on many ranges, memory store, metrics on. ` +
      "With the guard on, geo, number types, velocity and both conversion scopes run in full; their limits are raised so that this never-verified traffic is not refused. " +
      "Medians over the rounds; the process's CPU time per Start is the steadier figure on a shared machine.",
  );
  log();
  log("| guard | Starts/s (wall) | wall µs per Start | CPU µs per Start |");
  log("|---|---|---|---|");
  for (const mode of ["off", "on"] as const)
    log(`| ${mode} | ${fmtInt(1e6 / figure(mode, "wallUs"))} | ${figure(mode, "wallUs").toFixed(0)} | ${figure(mode, "cpuUs").toFixed(0)} |`);
  log();
  log(
    `On ÷ off: throughput **${(figure("off", "wallUs") / figure("on", "wallUs")).toFixed(3)} ×**, by CPU per Start **${(figure("off", "cpuUs") / figure("on", "cpuUs")).toFixed(3)} ×** (target: at most 10% lower, ≥ 0.9 ×).`,
  );
  log();
}

async function memoryFigures(log: (line?: string) => void): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const windows = { velocity: windowShape(600_000, VELOCITY_BUCKETS), conversion: windowShape(3_600_000, CONVERSION_BUCKETS) };
  const now = Date.now();
  const used = () => {
    gc?.();
    const memory = process.memoryUsage();
    return memory.heapUsed + memory.arrayBuffers;
  };
  const before = used();
  const state = new MemoryFraudState(windows, { now: () => now, maxScopes: PREFIXES });
  for (let i = 0; i < PREFIXES; i++) {
    const prefix = `+1${String(2_000_000 + i * 7)}`;
    await state.add([
      { kind: "velocity", key: prefix, at: now, sends: 1 },
      { kind: "prefix", key: prefix, at: now, sends: 1 },
      { kind: "country", key: "US", at: now, sends: 1, newSends: 1 },
    ]);
  }
  const after = used();
  const tracked = state.trackedPrefixes;
  const counter = { _id: "prefix:+1202555|1767600000000", k: "prefix:+1202555", t: 1_767_600_000_000, s: 12, v: 9, expireAt: new Date() };
  const velocity = { ...counter, _id: "velocity:+1202555|1767600000000", k: "velocity:+1202555", v: undefined };
  const scope = { _id: "prefix:+1202555", lastVerifiedAt: now, provenSince: now, expireAt: new Date() };
  const bson = (doc: object) => BSON.calculateObjectSize(doc, { ignoreUndefined: true });
  log("### Memory per tracked prefix");
  log();
  log("| store | figure | per prefix |");
  log("|---|---|---|");
  log(
    `| memory | heap + array buffers after GC for ${fmtInt(tracked)} prefixes (${gc ? "with" : "without --expose-gc, so approximate"}) | **${fmtBytes((after - before) / tracked)}** (${fmtBytes(after - before)} in all) |`,
  );
  log(
    `| mongodb | BSON of a prefix's documents: one velocity bucket (${bson(velocity)} B) and one conversion bucket (${bson(counter)} B) per active bucket, one scope document once verified (${bson(scope)} B) | ${bson(velocity) + bson(counter)}–${VELOCITY_BUCKETS * bson(velocity) + CONVERSION_BUCKETS * bson(counter) + bson(scope)} B, plus index entries |`,
  );
  log();
  log(
    `The memory store keeps two fixed rings per prefix (${VELOCITY_BUCKETS + 1} velocity and ${CONVERSION_BUCKETS + 1} conversion slots sharing one Int32Array) whatever its traffic, forgets prefixes idle for a window, and tracks at most 200,000 (the least recently written goes first). ` +
      "On MongoDB every document carries `expireAt` under a TTL index, so a prefix costs only the buckets of its window that saw traffic.",
  );
  await state.close();
}

async function appWith(fraud: Record<string, unknown>): Promise<App> {
  const base = benchConfig({ smsOutcome: "drop", deliveryWindow: "10m", codeTtl: "30m", maxCheckAttempts: 100, logLevel: "silent" });
  const config = { ...base, fraud: fraudSchema.parse(fraud) } as Config;
  return startApp(config, { port: 0, logger: createLogger("silent") });
}

async function startRound(app: App, numbers: readonly string[]): Promise<void> {
  let index = 0;
  const worker = async () => {
    while (index < numbers.length) {
      const phoneNumber = numbers[index++]!;
      await app.service.start({ phoneNumber, clientIp: "192.0.2.10" });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Valid US numbers, 10 per range, on as many ranges as it takes: like real traffic, not one range hammered. */
function numberPool(count: number): string[] {
  const out: string[] = [];
  for (let npa = 201; npa <= 989 && out.length < count; npa++) {
    for (let nxx = 201; nxx <= 999 && out.length < count; nxx += 3) {
      if (nxx === 555 || !isValidUs(`+1${npa}${nxx}4321`)) continue;
      for (let line = 0; line < 10 && out.length < count; line++) {
        const number = `+1${npa}${nxx}${String(1000 + line * 811).slice(-4)}`;
        if (isValidUs(number)) out.push(number);
      }
    }
  }
  return out;
}

function isValidUs(e164: string): boolean {
  try {
    const parsed = parsePhoneNumberWithError(e164);
    return parsed.isValid() && parsed.country === "US";
  } catch {
    return false;
  }
}

await main();
