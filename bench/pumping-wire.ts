/**
 * The fraud guard's cost over the wire: two verifyd servers in this process,
 * guard off and every guard on, loaded one at a time, alternating, by the
 * main bench's load client (load-client.ts, the raw Connect client) in a
 * forked process. The server CPU per Start is read over each measured window
 * as bench/throughput.ts does; only the server being loaded is busy then.
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import type { App } from "../src/server/app.js";
import { BENCH_DIR, fmtInt, REPO_ROOT } from "./shared.js";
import { Inbox, measurePhase, send, stopLoadClient, type ThroughputOptions, type ThroughputPhase } from "./throughput.js";

const ROUNDS = Number(process.env.PUMPING_WIRE_ROUNDS ?? 4);
const WARMUP_MS = Number(process.env.PUMPING_WIRE_WARMUP_MS ?? 1_000);
const DURATION_MS = Number(process.env.PUMPING_WIRE_MS ?? 3_000);
const POOL = Number(process.env.PUMPING_WIRE_POOL ?? 100_000);
const CONCURRENCY = 64;

type Mode = "off" | "on";

/** `apps` are started by the caller (bench/pumping.ts appWith): guard off, and every guard on with its limits raised. */
export async function wireFigures(apps: Record<Mode, App>, log: (line?: string) => void): Promise<void> {
  const options: ThroughputOptions = {
    concurrency: CONCURRENCY,
    warmupMs: WARMUP_MS,
    durationMs: DURATION_MS,
    poolSize: POOL,
    clients: ["raw"],
    phases: ["start"],
    profile: [],
    log: (line) => console.log(line),
  };
  const child = fork(join(BENCH_DIR, "load-client.ts"), [], { cwd: REPO_ROOT, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const inbox = new Inbox(child, options.log);
  const phases: Record<Mode, ThroughputPhase[]> = { off: [], on: [] };
  try {
    send(child, { type: "prepare", poolSize: POOL });
    await inbox.next("ready");
    // Warm-up: a phase on each server, off the record (JIT, connection, the guard's first prefixes).
    for (const mode of ["off", "on"] as const) {
      send(child, { type: "client", client: "raw", url: apps[mode].url });
      await inbox.next("client-ready");
      await measurePhase(child, inbox, "raw", "start", options);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
        send(child, { type: "client", client: "raw", url: apps[mode].url });
        await inbox.next("client-ready");
        const phase = await measurePhase(child, inbox, "raw", "start", options);
        phases[mode].push({ ...phase, server: "verifyd", round });
        console.log(
          `  wire ${mode.padEnd(3)} ${fmtInt(phase.throughput).padStart(6)} Starts/s  server CPU ${phase.serverCpuUsPerCall.toFixed(0)} µs/Start  other ${phase.otherCpuPct.toFixed(0)}%` +
            (phase.errors ? `  ERRORS ${phase.errors}: ${phase.errorSamples.join(" | ")}` : "") +
            (phase.exhausted ? "  (ran out of numbers: shortened)" : ""),
        );
      }
    }
  } finally {
    await stopLoadClient(child);
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const throughput = (mode: Mode) => median(phases[mode].map((p) => p.throughput));
  const cpu = (mode: Mode) => median(phases[mode].map((p) => p.serverCpuUsPerCall));
  const errors = phases.off.concat(phases.on).reduce((sum, p) => sum + p.errors, 0);
  const other = Math.max(...phases.off.concat(phases.on).map((p) => p.otherCpuPct));
  log("### Start over the wire, every guard on next to off");
  log();
  log(
    `Two verifyd servers in one process (guard off; every guard on with the limits raised as above), loaded one at a time, alternating, by the main bench's load client ` +
      `(bench/load-client.ts, Connect protocol on node:http2, a separate process) with ${CONCURRENCY} Starts in flight over one HTTP/2 connection, ` +
      `after a warm-up phase on each, ${ROUNDS} rounds of ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured per server, a new valid US number per Start. ` +
      `Server CPU per Start is the process's CPU over the measured window ÷ Starts completed (as in "Unary throughput and latency"). Medians over the rounds.`,
  );
  log();
  log("| guard | Starts/s | server CPU µs per Start |");
  log("|---|---|---|");
  for (const mode of ["off", "on"] as const) log(`| ${mode} | ${fmtInt(throughput(mode))} | ${cpu(mode).toFixed(0)} |`);
  log();
  log(
    `On ÷ off: throughput **${(throughput("on") / throughput("off")).toFixed(3)} ×**, by server CPU per Start **${(cpu("off") / cpu("on")).toFixed(3)} ×** (target: ≥ 0.9 ×); ` +
      `${errors} errors; other processes used up to ${other.toFixed(0)}% of a core during the measured windows.`,
  );
  log();
}
