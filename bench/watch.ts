/**
 * Watch at scale (issue 13): 10,000 concurrent server-streaming Watch calls
 * over a few HTTP/2 connections. How long they take to open, what an open
 * stream costs the server, and how late an event reaches its watcher.
 *
 * Three processes: this one (the caller, idle while it runs), the server
 * (this file again, forked with `--server` and --expose-gc: verifyd in-process
 * via startApp) and the load client (watch-client.ts, forked by the server,
 * so that the client's CPU is not the server's).
 *
 *  1. The server creates one verification per stream in-process (Start,
 *     simulators accepting instantly and dropping, windows and TTL that
 *     outlast the run, so no timer fires).
 *  2. Heap after GC; the client opens one gRPC Watch per verification, spread
 *     round-robin over the connections; open time = from the first request to
 *     every stream having received its first message (the SNAPSHOT). Heap
 *     after GC again: bytes per open stream (and RSS and external likewise).
 *  3. The server triggers one event per verification (a Check with a wrong
 *     code, in-process, at a steady rate) and stamps when; the client stamps
 *     when the CHECK_FAILED arrived. Both stamp performance.timeOrigin +
 *     performance.now(), and the offset between the two processes' clocks is
 *     measured over IPC and taken out, so the figure does not rest on clock sync.
 *  4. Every verification is cancelled, so every stream ends with its terminal
 *     event and grpc-status 0; heap after GC once they have all closed.
 *
 * Standalone: `npx tsx bench/watch.ts` (writes the "Watch streams (issue 13)"
 * section of bench/RESULTS.md and prints it). Knobs (environment):
 * BENCH_WATCH_STREAMS (10000), BENCH_WATCH_CONNECTIONS (4), BENCH_WATCH_RATE
 * (events per second, 2000).
 */
import { type ChildProcess, fork } from "node:child_process";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type App, startApp } from "../src/server/app.js";
import type { VerificationService } from "../src/service/verification-service.js";
import {
  BENCH_DIR,
  benchConfig,
  countingLogger,
  type Distribution,
  distribution,
  fmtBytes,
  fmtInt,
  fmtMs,
  type LogTally,
  machineBusyMs,
  phonePool,
  REPO_ROOT,
  writeResultsSection,
} from "./shared.js";

export const WATCH_HEADING = "Watch streams (issue 13)";
const TARGET_OPEN_MS = 5_000;
const TARGET_DELIVERY_P99_MS = 50;
const WRONG_CODE = "000000";
const CLIENT_IP = "203.0.113.7";
/** In-process Starts (and Cancels) kept in flight while creating (and ending). */
const CONCURRENCY = 64;

export interface WatchBenchOptions {
  streams?: number;
  connections?: number;
  /** Events triggered per second. */
  rate?: number;
  log?: (line: string) => void;
}

type Settings = Required<Omit<WatchBenchOptions, "log">>;

export interface WatchBenchResult {
  /** The machine's load average (1, 5, 15 min) when the run began. */
  loadBefore: number[];
  streams: number;
  connections: number;
  rate: number;
  /** server.http2.max_concurrent_streams as the bench set it (the default is 100). */
  maxConcurrentStreams: number;
  creationMs: number;
  open: {
    /** From the first request to the last stream's first message. */
    ms: number;
    opened: number;
    failed: number;
    timedOut: boolean;
    connectMs: number;
    /** How long the client took to issue every request (node:http2 sends them as it goes). */
    issuedMs: number;
    /** Per stream, from its request to its snapshot. */
    firstMessage: Distribution;
    serverCpuPct: number;
    clientCpuPct: number;
    otherCpuPct: number;
  };
  memory: {
    before: NodeJS.MemoryUsage;
    open: NodeJS.MemoryUsage;
    ended: NodeJS.MemoryUsage;
    heapPerStream: number;
    externalPerStream: number;
    rssPerStream: number;
  };
  delivery: {
    triggered: number;
    delivered: number;
    unexpected: number;
    checkErrors: number;
    /** Time the client got the event minus the time the server began its Check, in ms. */
    latency: Distribution;
    triggerMs: number;
    /** Client clock minus server clock (ms), and half the round trip it was measured with. */
    clockOffsetMs: number;
    clockUncertaintyMs: number;
    timedOut: boolean;
    serverCpuPct: number;
    clientCpuPct: number;
    otherCpuPct: number;
    eventLoopDelay: { p99: number; max: number };
  };
  end: { ok: number; other: number; endMs: number; timedOut: boolean };
  errorSamples: string[];
  log: LogTally;
}

// --- IPC with watch-client.ts -------------------------------------------------------

/** watch.ts (server) → watch-client.ts */
export type WatchClientCommand =
  | { type: "open"; url: string; ids: string[]; connections: number; timeoutMs: number; deadlineS: number }
  | { type: "ping" }
  | { type: "collect"; timeoutMs: number }
  | { type: "await-end"; timeoutMs: number }
  | { type: "exit" };

/** watch-client.ts → watch.ts (server) */
export type WatchClientMessage =
  | {
      type: "opened";
      opened: number;
      timedOut: boolean;
      openMs: number;
      connectMs: number;
      issuedMs: number;
      firstMessageMs: Float64Array;
      failed: number;
      errorSamples: string[];
      cpuMs: number;
    }
  | { type: "pong"; at: number }
  | { type: "events"; eventAt: Float64Array; unexpected: number; timedOut: boolean; errorSamples: string[]; cpuMs: number }
  | { type: "ended"; ok: number; other: number; timedOut: boolean; endMs: number; errorSamples: string[] }
  | { type: "log"; message: string };

/** The server process → its caller. */
type ServerMessage = { type: "log"; message: string } | { type: "result"; result: WatchBenchResult };

/** Messages from a child, awaited one kind at a time, each within a time limit; the child exiting fails the wait. */
class Mailbox<M extends { type: string }> {
  readonly #queue: M[] = [];
  #wake: (() => void) | undefined;
  #failure: Error | undefined;

  constructor(child: ChildProcess, log: (line: string) => void, name: string) {
    child.on("message", (message: M | { type: "log"; message: string }) => {
      if (message.type === "log") log((message as { message: string }).message);
      else this.#queue.push(message as M);
      this.#wake?.();
    });
    child.once("exit", (code, signal) => {
      this.#failure = new Error(`${name} exited (${signal ?? code})`);
      this.#wake?.();
    });
  }

  async next<T extends M["type"]>(type: T, timeoutMs: number): Promise<Extract<M, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.#queue.findIndex((m) => m.type === type);
      if (index !== -1) return this.#queue.splice(index, 1)[0] as Extract<M, { type: T }>;
      if (this.#failure) throw this.#failure;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no "${type}" message within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}

// --- the caller ---------------------------------------------------------------------

/** Runs the benchmark in a forked server process (with --expose-gc) and resolves to its figures. */
export async function runWatchBench(options: WatchBenchOptions = {}): Promise<WatchBenchResult> {
  const settings: Settings = { streams: options.streams ?? 10_000, connections: options.connections ?? 4, rate: options.rate ?? 2_000 };
  const log = options.log ?? ((line: string) => console.log(line));
  const child = fork(fileURLToPath(import.meta.url), ["--server"], {
    cwd: REPO_ROOT,
    execArgv: ["--expose-gc", "--import", "tsx"],
    env: { ...process.env, BENCH_WATCH_SETTINGS: JSON.stringify(settings) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  const mailbox = new Mailbox<ServerMessage>(child, log, "watch bench server");
  // Creating, opening, the events at their rate, ending, four GCs: generous, but bounded.
  const budgetMs = 180_000 + (settings.streams / settings.rate) * 1000 * 2;
  try {
    return (await mailbox.next("result", budgetMs)).result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

// --- the server process -------------------------------------------------------------

function serverLog(line: string): void {
  if (process.send) process.send({ type: "log", message: line } satisfies ServerMessage);
  else console.error(line);
}

function memoryAfterGc(): NodeJS.MemoryUsage {
  const gc = globalThis.gc;
  if (!gc) throw new Error("run with --expose-gc");
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
}

/** Runs `work(i)` for i in [0, count) with CONCURRENCY in flight; resolves to the ms taken. */
async function inParallel(count: number, work: (index: number) => Promise<void>): Promise<number> {
  const began = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - began;
}

async function startServer(settings: Settings): Promise<{ app: App; tally: LogTally; maxConcurrentStreams: number }> {
  // Accept instantly and never send a receipt; the window and TTL outlast the run, so no timer fires.
  const config = benchConfig({ smsOutcome: "drop", deliveryWindow: "30m", codeTtl: "60m", maxCheckAttempts: 100 });
  // The default (100 streams per connection) would refuse all but 100 of each connection's streams.
  const maxConcurrentStreams = Math.max(config.server.http2.max_concurrent_streams, Math.ceil(settings.streams / settings.connections));
  config.server.http2.max_concurrent_streams = maxConcurrentStreams;
  const { logger, tally } = countingLogger(serverLog);
  const app = await startApp(config, { logger, port: 0, host: "127.0.0.1" });
  return { app, tally, maxConcurrentStreams };
}

async function createVerifications(service: VerificationService, count: number): Promise<{ ids: string[]; ms: number }> {
  const numbers = phonePool(count);
  const ids: string[] = new Array(count);
  const ms = await inParallel(count, async (i) => {
    const record = await service.start({ phoneNumber: numbers[i]!, clientIp: CLIENT_IP });
    if (record.status !== "submitted") throw new Error(`expected SUBMITTED after Start, got ${record.status}`);
    ids[i] = record.id;
  });
  return { ids, ms };
}

function forkClient(): { child: ChildProcess; mailbox: Mailbox<WatchClientMessage> } {
  const child = fork(join(BENCH_DIR, "watch-client.ts"), [], {
    cwd: REPO_ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  return { child, mailbox: new Mailbox<WatchClientMessage>(child, serverLog, "watch client") };
}

const tellClient = (child: ChildProcess, command: WatchClientCommand) => child.send(command);

/** CPU of this process and of the whole machine over a window, for "server %, other %" figures. */
function cpuWindow(): () => { wallMs: number; ownPct: number; machinePct: number } {
  const cpu = process.cpuUsage();
  const machine = machineBusyMs();
  const wall = performance.now();
  return () => {
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - wall;
    return { wallMs, ownPct: ((used.user + used.system) / 1000 / wallMs) * 100, machinePct: ((machineBusyMs() - machine) / wallMs) * 100 };
  };
}

async function openPhase(client: ReturnType<typeof forkClient>, url: string, ids: string[], settings: Settings, deadlineS: number) {
  const before = memoryAfterGc();
  const window = cpuWindow();
  tellClient(client.child, { type: "open", url, ids, connections: settings.connections, timeoutMs: 60_000, deadlineS });
  const opened = await client.mailbox.next("opened", 90_000);
  const cpu = window();
  const open = memoryAfterGc();
  const streams = Math.max(1, opened.opened);
  const clientCpuPct = (opened.cpuMs / cpu.wallMs) * 100;
  serverLog(
    `  opened ${fmtInt(opened.opened)} of ${fmtInt(ids.length)} streams in ${fmtMs(opened.openMs)}; heap ${fmtBytes(before.heapUsed)} → ${fmtBytes(open.heapUsed)} ` +
      `= ${fmtInt((open.heapUsed - before.heapUsed) / streams)} B per stream`,
  );
  return {
    before,
    open,
    result: {
      ms: opened.openMs,
      opened: opened.opened,
      failed: opened.failed,
      timedOut: opened.timedOut,
      connectMs: opened.connectMs,
      issuedMs: opened.issuedMs,
      firstMessage: distribution(opened.firstMessageMs.filter((ms) => !Number.isNaN(ms))),
      serverCpuPct: cpu.ownPct,
      clientCpuPct,
      otherCpuPct: Math.max(0, cpu.machinePct - cpu.ownPct - clientCpuPct),
    },
    errorSamples: opened.errorSamples,
  };
}

/** Client clock minus this process's, from the ping with the shortest round trip (NTP's way). */
async function clockOffset(client: ReturnType<typeof forkClient>): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  let best = { offsetMs: 0, uncertaintyMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 30; i++) {
    const sent = performance.timeOrigin + performance.now();
    tellClient(client.child, { type: "ping" });
    const { at } = await client.mailbox.next("pong", 5_000);
    const back = performance.timeOrigin + performance.now();
    const half = (back - sent) / 2;
    if (half < best.uncertaintyMs) best = { offsetMs: at - (sent + half), uncertaintyMs: half };
  }
  return best;
}

/** One wrong-code Check per verification at `rate` per second, each stamped (timeOrigin + now) just before it begins. */
async function triggerEvents(service: VerificationService, ids: readonly string[], rate: number): Promise<{ triggeredAt: Float64Array; errors: string[] }> {
  const triggeredAt = new Float64Array(ids.length).fill(Number.NaN);
  const errors: string[] = [];
  let inFlight = 0;
  const began = performance.now();
  let next = 0;
  while (next < ids.length) {
    const due = Math.min(ids.length, Math.floor(((performance.now() - began) * rate) / 1000) + 1);
    for (; next < due; next++) {
      const index = next;
      inFlight++;
      triggeredAt[index] = performance.timeOrigin + performance.now();
      service.check(ids[index]!, WRONG_CODE, CLIENT_IP).then(
        () => inFlight--,
        (error: unknown) => {
          inFlight--;
          errors.push(String(error));
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  while (inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return { triggeredAt, errors };
}

async function deliveryPhase(client: ReturnType<typeof forkClient>, service: VerificationService, ids: string[], rate: number) {
  const clock = await clockOffset(client);
  const expectedMs = (ids.length / rate) * 1000;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  tellClient(client.child, { type: "collect", timeoutMs: expectedMs + 30_000 });
  const window = cpuWindow();
  delay.enable();
  const triggerBegan = performance.now();
  const { triggeredAt, errors } = await triggerEvents(service, ids, rate);
  const triggerMs = performance.now() - triggerBegan;
  const events = await client.mailbox.next("events", expectedMs + 60_000);
  delay.disable();
  const cpu = window();
  const latencies = new Float64Array(ids.length);
  let delivered = 0;
  for (let i = 0; i < ids.length; i++) {
    const arrived = events.eventAt[i]!;
    if (!Number.isNaN(arrived)) latencies[delivered++] = arrived - clock.offsetMs - triggeredAt[i]!;
  }
  const clientCpuPct = (events.cpuMs / cpu.wallMs) * 100;
  const latency = distribution(latencies, delivered);
  serverLog(`  ${fmtInt(delivered)} events delivered: p50 ${fmtMs(latency.p50)}, p99 ${fmtMs(latency.p99)}, max ${fmtMs(latency.max)}`);
  return {
    result: {
      triggered: ids.length,
      delivered,
      unexpected: events.unexpected,
      checkErrors: errors.length,
      latency,
      triggerMs,
      clockOffsetMs: clock.offsetMs,
      clockUncertaintyMs: clock.uncertaintyMs,
      timedOut: events.timedOut,
      serverCpuPct: cpu.ownPct,
      clientCpuPct,
      otherCpuPct: Math.max(0, cpu.machinePct - cpu.ownPct - clientCpuPct),
      eventLoopDelay: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
    },
    errorSamples: [...errors.slice(0, 3), ...events.errorSamples],
  };
}

/** Cancels every verification, so every stream ends on its terminal event with grpc-status 0. */
async function endPhase(client: ReturnType<typeof forkClient>, service: VerificationService, ids: string[]) {
  tellClient(client.child, { type: "await-end", timeoutMs: 60_000 });
  await inParallel(ids.length, async (i) => {
    await service.cancel(ids[i]!);
  });
  const ended = await client.mailbox.next("ended", 90_000);
  return { result: { ok: ended.ok, other: ended.other, endMs: ended.endMs, timedOut: ended.timedOut }, errorSamples: ended.errorSamples };
}

async function measure(settings: Settings): Promise<WatchBenchResult> {
  const loadBefore = loadavg();
  const { app, tally, maxConcurrentStreams } = await startServer(settings);
  const client = forkClient();
  try {
    const { ids, ms: creationMs } = await createVerifications(app.service, settings.streams);
    serverLog(`  created ${fmtInt(ids.length)} verifications in ${(creationMs / 1000).toFixed(1)} s; opening the streams`);
    // The streams' own deadline: past every phase's time limit, so it never ends one during the run.
    const deadlineS = Math.ceil(300 + (2 * settings.streams) / settings.rate);
    const open = await openPhase(client, app.url, ids, settings, deadlineS);
    const delivery = await deliveryPhase(client, app.service, ids, settings.rate);
    const end = await endPhase(client, app.service, ids);
    const ended = memoryAfterGc();
    const streams = Math.max(1, open.result.opened);
    const perStream = (key: "heapUsed" | "external" | "rss") => (open.open[key] - open.before[key]) / streams;
    return {
      loadBefore,
      ...settings,
      maxConcurrentStreams,
      creationMs,
      open: open.result,
      memory: {
        before: open.before,
        open: open.open,
        ended,
        heapPerStream: perStream("heapUsed"),
        externalPerStream: perStream("external"),
        rssPerStream: perStream("rss"),
      },
      delivery: delivery.result,
      end: end.result,
      errorSamples: [...new Set([...open.errorSamples, ...delivery.errorSamples, ...end.errorSamples])].slice(0, 8),
      log: tally,
    };
  } finally {
    if (client.child.connected) tellClient(client.child, { type: "exit" });
    await app.close();
  }
}

// --- the report ---------------------------------------------------------------------

const passFail = (ok: boolean) => (ok ? "**PASS**" : "**FAIL**");
const pct = (n: number) => `${n.toFixed(0)} %`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;

function targetRows(r: WatchBenchResult): string[] {
  const o = r.open;
  const d = r.delivery;
  const m = r.memory;
  const allOpen = o.opened === r.streams && o.failed === 0 && !o.timedOut;
  const allDelivered = d.delivered === r.streams && d.unexpected === 0 && d.checkErrors === 0 && !d.timedOut;
  return [
    "| Figure | Measured | Target | Result |",
    "|---|---|---|---|",
    `| Open ${fmtInt(r.streams)} Watch streams (first request → every stream's snapshot received) | **${(o.ms / 1000).toFixed(2)} s** (${fmtInt(o.opened)} opened, ${fmtInt(o.failed)} failed; per stream request → snapshot p50 ${fmtMs(o.firstMessage.p50)}, p99 ${fmtMs(o.firstMessage.p99)}) | < ${TARGET_OPEN_MS / 1000} s, all open | ${passFail(allOpen && o.ms < TARGET_OPEN_MS)} |`,
    `| Event delivery at ${fmtInt(o.opened)} open streams (Check begun in the server → event received by the client) | p50 ${fmtMs(d.latency.p50)}, p90 ${fmtMs(d.latency.p90)}, **p99 ${fmtMs(d.latency.p99)}**, max ${fmtMs(d.latency.max)} (${fmtInt(d.delivered)} of ${fmtInt(d.triggered)} delivered) | p99 < ${TARGET_DELIVERY_P99_MS} ms, all delivered | ${passFail(allDelivered && d.latency.p99 < TARGET_DELIVERY_P99_MS)} |`,
    `| Server memory per open stream (after GC, open − before) | **heap ${fmtInt(m.heapPerStream)} B (${kib(m.heapPerStream)})**, external ${fmtInt(m.externalPerStream)} B, RSS ${fmtInt(m.rssPerStream)} B (${kib(m.rssPerStream)}) | reported | — |`,
  ];
}

function detailLines(r: WatchBenchResult): string[] {
  const { open: o, delivery: d, memory: m, end: e } = r;
  const mem = (u: NodeJS.MemoryUsage) => `heap ${fmtBytes(u.heapUsed)}, external ${fmtBytes(u.external)}, RSS ${fmtBytes(u.rss)}`;
  return [
    `- Opening: connections up in ${fmtMs(o.connectMs)} (not in the open time), every request issued by ${fmtMs(o.issuedMs)}; ` +
      `while opening, server CPU ${pct(o.serverCpuPct)}, client ${pct(o.clientCpuPct)}, everything else ${pct(o.otherCpuPct)} of one core.`,
    `- Memory after GC: before ${mem(m.before)}; all open ${mem(m.open)}; all ended ${mem(m.ended)}.`,
    `- Events: ${fmtInt(d.triggered)} Checks triggered in ${(d.triggerMs / 1000).toFixed(1)} s (${fmtInt((d.triggered / d.triggerMs) * 1000)}/s); ${fmtInt(d.unexpected)} unexpected messages, ${fmtInt(d.checkErrors)} Check errors${d.timedOut ? ", **timed out**" : ""}. ` +
      `Server CPU ${pct(d.serverCpuPct)}, client ${pct(d.clientCpuPct)}, everything else ${pct(d.otherCpuPct)} of one core; server event-loop delay p99 ${fmtMs(d.eventLoopDelay.p99)}, max ${fmtMs(d.eventLoopDelay.max)}.`,
    `- Clocks: client − server offset ${d.clockOffsetMs.toFixed(3)} ms (± ${d.clockUncertaintyMs.toFixed(3)} ms, half the best IPC round trip of 30), taken out of every latency.`,
    `- Ending: every verification cancelled; ${fmtInt(e.ok)} streams ended with grpc-status 0 after CANCELED, ${fmtInt(e.other)} otherwise, in ${fmtMs(e.endMs)}${e.timedOut ? " (**timed out**)" : ""}.`,
    `- Server log at warn and above: ${r.log.warnings} warnings, ${r.log.errors} errors.${r.errorSamples.length ? ` Errors seen: ${r.errorSamples.map((s) => `\`${s.slice(0, 200)}\``).join("; ")}` : ""}`,
  ];
}

/** The "Watch streams (issue 13)" section of bench/RESULTS.md. */
export function watchReport(r: WatchBenchResult): string {
  return [
    `## ${WATCH_HEADING}`,
    "",
    `- Date: ${new Date().toISOString()}; Node ${process.version}; load average when the run began ${r.loadBefore.map((l) => l.toFixed(2)).join(", ")} (2 cores shared)`,
    "- Reproduce: `npx tsx bench/watch.ts` (knobs: BENCH_WATCH_STREAMS, BENCH_WATCH_CONNECTIONS, BENCH_WATCH_RATE)",
    `- Setup: verifyd in-process (startApp, a process with --expose-gc); ${fmtInt(r.streams)} verifications made in-process (${(r.creationMs / 1000).toFixed(1)} s), ` +
      `then one gRPC Watch each from a separate load process (bench/watch-client.ts, node:http2), ${r.connections} connections × ${fmtInt(Math.ceil(r.streams / r.connections))} streams. ` +
      `**server.http2.max_concurrent_streams raised to ${fmtInt(r.maxConcurrentStreams)}** (default 100). Events: one wrong-code Check per verification, in the server process, at ${fmtInt(r.rate)}/s.`,
    "",
    ...targetRows(r),
    "",
    ...detailLines(r),
  ].join("\n");
}

// --- entry points ----------------------------------------------------------------------

async function serverMain(): Promise<void> {
  const settings = JSON.parse(process.env.BENCH_WATCH_SETTINGS ?? "{}") as Settings;
  const result = await measure(settings);
  process.send?.({ type: "result", result } satisfies ServerMessage, () => process.exit(0));
}

async function standaloneMain(): Promise<void> {
  const env = process.env;
  const result = await runWatchBench({
    streams: Number(env.BENCH_WATCH_STREAMS ?? 10_000),
    connections: Number(env.BENCH_WATCH_CONNECTIONS ?? 4),
    rate: Number(env.BENCH_WATCH_RATE ?? 2_000),
  });
  const section = watchReport(result);
  writeResultsSection(WATCH_HEADING, section);
  console.log(`\n${section}`);
}

const isEntry = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isEntry) {
  const main = process.argv.includes("--server") ? serverMain : standaloneMain;
  main().catch((error: unknown) => {
    (process.send ? serverLog : console.error)(`watch bench failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
}
