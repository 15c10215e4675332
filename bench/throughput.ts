/**
 * Unary throughput and latency of Start, Check and a bare Echo, served by one
 * verifyd stack in this process, driven by load-client.ts in a forked one.
 * The server's own CPU time over each measured window is recorded too, so a
 * phase limited by the client (not the server) shows as such.
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { EchoService, file_verify_bench_v1_echo } from "../gen/verify/bench/v1/echo_pb.js";
import { type App, startApp } from "../src/server/app.js";
import type { BaselineKind } from "./baseline-server.js";
import { type CpuProfiler, startProfiler } from "./profile.js";
import {
  BENCH_DIR,
  benchConfig,
  type ClientCommand,
  type ClientKind,
  type ClientMessage,
  countingLogger,
  type LogTally,
  machineBusyMs,
  type PhaseResult,
  REPO_ROOT,
  type Rpc,
} from "./shared.js";

export interface ThroughputOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Phone numbers the client makes up front for Start (warm-up and measured calls). */
  poolSize: number;
  /** Each client runs every phase, in this order; the first one's figures are the headline. */
  clients: readonly ClientKind[];
  phases: readonly Rpc[];
  /** Phases to record a CPU profile of (slows them down; for investigation, not figures). */
  profile: readonly Rpc[];
  log: (line: string) => void;
  /** false: run with scoring off (statistics and score routing disabled). */
  scoring?: boolean;
  /** Bare echo servers measured in each round, just before verifyd, with the raw gRPC client. */
  baselines?: readonly BaselineKind[];
  /** How many times the whole sequence (baselines, then every client's phases) runs; 1 by default. */
  rounds?: number;
  /** Pin the servers to CPU 0 and the load client to CPU 1 (taskset), as issue 13 measured. */
  pin?: boolean;
  /** After the rounds: Starts at this fixed rate (gRPC, open loop) for the latency target. */
  steadyStartRate?: number;
}

/** What served a phase: verifyd, or one of the bare baselines. */
export type ServerKind = "verifyd" | BaselineKind;

export interface ThroughputPhase extends PhaseResult {
  server: ServerKind;
  round: number;
  /** Server process CPU over the measured window, % of one core. */
  serverCpuPct: number;
  /** CPU used on the machine by everything else (other processes, kernel), % of one core. */
  otherCpuPct: number;
  /** Server CPU time per completed call, in µs: what the call costs, whatever the client manages. */
  serverCpuUsPerCall: number;
  profileSummary?: string;
}

export interface ThroughputResults {
  phases: ThroughputPhase[];
  poolSize: number;
  poolMs: number;
  /** What the server logged at warn and above during the whole run. */
  log: LogTally;
  /** Whether the servers and the client were pinned to separate CPUs. */
  pinned: boolean;
}

/** A server under measurement: where to call it and how much CPU it has used (µs). */
interface Target {
  server: ServerKind;
  url: string;
  cpuUs(): number;
}

export async function runThroughput(options: ThroughputOptions): Promise<ThroughputResults> {
  const config = benchConfig({
    // Accept instantly and never send a receipt; the window and TTL outlast the run, so no timer fires.
    smsOutcome: "drop",
    deliveryWindow: "10m",
    codeTtl: "30m",
    maxCheckAttempts: 100,
    scoring: options.scoring,
  });
  const { logger, tally } = countingLogger(options.log);
  const pinned = options.pin === true && pin(process.pid, 0);
  const app: App = await startApp(config, {
    logger,
    port: 0,
    host: "127.0.0.1",
    extraRoutes: (router) => {
      router.service(EchoService, { echo: (request) => ({ message: request.message }) });
    },
    extraFiles: [file_verify_bench_v1_echo],
  });
  const baselines = await Promise.all((options.baselines ?? []).map(startBaseline));
  const child = fork(join(BENCH_DIR, "load-client.ts"), [], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  if (pinned && child.pid) pin(child.pid, 1);
  const inbox = new Inbox(child, options.log);
  try {
    send(child, { type: "prepare", poolSize: options.poolSize });
    const ready = await inbox.next("ready");
    options.log(`  load client ready: ${ready.poolSize.toLocaleString("en-US")} valid phone numbers in ${(ready.poolMs / 1000).toFixed(1)} s`);
    const verifyd: Target = { server: "verifyd", url: app.url, cpuUs: () => totalCpuUs(cpuUsage()) };
    const phases: ThroughputPhase[] = [];
    for (let round = 1; round <= (options.rounds ?? 1); round++) {
      for (const baseline of baselines) phases.push(...(await runClient(child, inbox, baseline.target, "raw-grpc", ["echo"], round, options)));
      for (const client of options.clients) phases.push(...(await runClient(child, inbox, verifyd, client, options.phases, round, options)));
    }
    if (options.steadyStartRate) {
      const steady = { ...options, ratePerSecond: options.steadyStartRate };
      phases.push(...(await runClient(child, inbox, verifyd, "raw-grpc", ["start"], 0, steady)));
    }
    return { phases, poolSize: ready.poolSize, poolMs: ready.poolMs, log: tally, pinned };
  } finally {
    await stopLoadClient(child);
    for (const baseline of baselines) baseline.stop();
    await app.close();
  }
}

async function runClient(
  child: ChildProcess,
  inbox: Inbox,
  target: Target,
  client: ClientKind,
  rpcs: readonly Rpc[],
  round: number,
  options: ThroughputOptions & { ratePerSecond?: number },
): Promise<ThroughputPhase[]> {
  send(child, { type: "client", client, url: target.url });
  await inbox.next("client-ready");
  const phases: ThroughputPhase[] = [];
  for (const rpc of rpcs) {
    const phase = { ...(await measurePhase(child, inbox, client, rpc, options, target.cpuUs)), server: target.server, round };
    phases.push(phase);
    options.log(
      `  ${target.server.padEnd(12)} ${client.padEnd(8)} ${rpc.padEnd(5)} ${Math.round(phase.throughput).toLocaleString("en-US").padStart(7)} calls/s  ` +
        `p50 ${phase.latency.p50.toFixed(2)} ms  p99 ${phase.latency.p99.toFixed(2)} ms  ` +
        `server CPU ${phase.serverCpuPct.toFixed(0)}% (${phase.serverCpuUsPerCall.toFixed(0)} µs/call)  ` +
        `client CPU ${phase.clientCpuPct.toFixed(0)}%  other ${phase.otherCpuPct.toFixed(0)}%` +
        (phase.errors ? `  ERRORS ${phase.errors}: ${phase.errorSamples.join(" | ")}` : "") +
        (phase.exhausted ? "  (ran out of inputs: shortened)" : ""),
    );
    if (phase.profileSummary) options.log(phase.profileSummary);
  }
  return phases;
}

/** One phase: the client warms up and measures; the server's CPU is read over the same window. */
export async function measurePhase(
  child: ChildProcess,
  inbox: Inbox,
  client: ClientKind,
  rpc: Rpc,
  options: Pick<ThroughputOptions, "concurrency" | "warmupMs" | "durationMs" | "profile"> & { ratePerSecond?: number },
  serverCpuUs: () => number = () => totalCpuUs(cpuUsage()),
): Promise<Omit<ThroughputPhase, "server" | "round">> {
  const { concurrency, warmupMs, durationMs, ratePerSecond } = options;
  send(child, { type: "run", rpc, concurrency, warmupMs, durationMs, ratePerSecond });
  await inbox.next("mark", (m) => m.edge === "begin");
  const profiler: CpuProfiler | undefined = options.profile.includes(rpc) ? await startProfiler() : undefined;
  const cpuStart = serverCpuUs();
  const machineStart = machineBusyMs();
  const wallStart = performance.now();
  await inbox.next("mark", (m) => m.edge === "end");
  const cpuUs = serverCpuUs() - cpuStart;
  const machineMs = machineBusyMs() - machineStart;
  const wallMs = performance.now() - wallStart;
  const profileSummary = profiler ? await profiler.stop(join(BENCH_DIR, "profiles", `${client}-${rpc}.cpuprofile`)) : undefined;
  const { result } = await inbox.next("result");
  const serverCpuPct = (cpuUs / 1000 / wallMs) * 100;
  return {
    ...result,
    serverCpuPct,
    otherCpuPct: Math.max(0, (machineMs / wallMs) * 100 - serverCpuPct - result.clientCpuPct),
    serverCpuUsPerCall: result.count > 0 ? cpuUs / result.count : NaN,
    profileSummary,
  };
}

function totalCpuUs(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

/** A child process's CPU time in µs, from /proc (user + system ticks). */
function childCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of the whole line (utime, stime) are 11 and 12 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS) * 1e6;
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** Pins every thread of a process to one CPU; false when taskset is missing or refuses. */
function pin(pid: number, cpu: number): boolean {
  if (os.cpus().length < 2) return false;
  try {
    execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function startBaseline(kind: BaselineKind): Promise<{ target: Target; stop(): void }> {
  const child = fork(join(BENCH_DIR, "baseline-server.ts"), [kind], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message: { port: number }) => resolve(message.port));
    child.once("exit", (code) => reject(new Error(`the ${kind} baseline exited (${code})`)));
  });
  const pid = child.pid!;
  return {
    target: { server: kind, url: `http://127.0.0.1:${port}`, cpuUs: () => childCpuUs(pid) },
    stop: () => child.kill(),
  };
}

export function send(child: ChildProcess, command: ClientCommand): void {
  child.send(command);
}

type MessageOf<T extends ClientMessage["type"]> = Extract<ClientMessage, { type: T }>;

/** Messages from the child, awaited one kind at a time; the child dying fails the wait. */
export class Inbox {
  readonly #queue: ClientMessage[] = [];
  #waiter: (() => void) | undefined;
  #failure: Error | undefined;

  constructor(child: ChildProcess, log: (line: string) => void) {
    child.on("message", (message: ClientMessage) => {
      if (message.type === "log") {
        log(message.message);
        return;
      }
      this.#queue.push(message);
      this.#waiter?.();
    });
    child.once("exit", (code, signal) => {
      this.#failure = new Error(`load client exited (${signal ?? code})`);
      this.#waiter?.();
    });
  }

  async next<T extends ClientMessage["type"]>(type: T, where: (message: MessageOf<T>) => boolean = () => true): Promise<MessageOf<T>> {
    for (;;) {
      const index = this.#queue.findIndex((m) => m.type === type && where(m as MessageOf<T>));
      if (index !== -1) return this.#queue.splice(index, 1)[0] as MessageOf<T>;
      if (this.#failure) throw this.#failure;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
      this.#waiter = undefined;
    }
  }
}

/** Asks the load-client process to exit, and kills it if it has not within 5 s. */
export async function stopLoadClient(child: ChildProcess): Promise<void> {
  if (child.connected) send(child, { type: "exit" });
  await new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
    setTimeout(() => {
      child.kill();
      resolve();
    }, 5_000).unref();
  });
}
