/**
 * Memory and timer lateness with 100,000 verifications waiting on their
 * delivery window. Run in its own process with --expose-gc (run.ts forks it;
 * standalone: `node --expose-gc --import tsx bench/timers.ts`).
 *
 * Both SMS simulators accept instantly and drop (no receipt), so every
 * verification sits in SUBMITTED until its window ends, and then the timer
 * loop fails it over to the second provider (slow failover). The window is
 * chosen from a calibration run so that all verifications exist before the
 * first window ends; the code TTL outlasts the whole run.
 *
 * Figures: heap used after GC before creating and with all pending (bytes per
 * pending verification), and how late each timer was claimed (the
 * onTimerLateness hook of startApp) as the 100,000 windows run out.
 */
import { fork } from "node:child_process";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startApp } from "../src/server/app.js";
import type { VerificationService } from "../src/service/verification-service.js";
import { startProfiler } from "./profile.js";
import { BENCH_DIR, benchConfig, countingLogger, distribution, machineBusyMs, phonePool, REPO_ROOT, sleep, type TimerBenchResult } from "./shared.js";
import { Inbox, send, stopLoadClient } from "./throughput.js";

const PENDING = Number(process.env.BENCH_PENDING ?? 100_000);
/** BENCH_PROFILE=timers: CPU-profile the process while the windows run out. */
const PROFILE = (process.env.BENCH_PROFILE ?? "").split(",").includes("timers");
const CALIBRATION = 5_000;
/** Starts kept in flight while creating; the service is called directly, no RPC. */
const CREATE_CONCURRENCY = 64;
/**
 * The rate the pending verifications are created at, and so the rate their
 * windows come due at: the slow failovers per second the timer loop must
 * keep up with (5,000/s is over 400 million Starts a day).
 */
const DUE_RATE = Number(process.env.BENCH_TIMER_DUE_RATE ?? 5_000);
/** Starts per second sent over gRPC from another process while the windows run out (0: none). */
const START_RATE = Number(process.env.BENCH_TIMER_START_RATE ?? 500);

function log(line: string): void {
  if (process.send) process.send({ type: "log", message: line });
  else console.error(line);
}

function heapAfterGc(): NodeJS.MemoryUsage {
  const gc = globalThis.gc;
  if (!gc) throw new Error("run with --expose-gc");
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
}

/** Starts every number in-process, as fast as it goes or, with `ratePerSecond`, paced to that rate. */
async function createAll(service: VerificationService, numbers: readonly string[], ratePerSecond = Infinity): Promise<number> {
  const began = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < numbers.length) {
      const index = next++;
      const phoneNumber = numbers[index]!;
      const wait = began + (index / ratePerSecond) * 1000 - performance.now();
      if (wait > 1) await sleep(wait);
      const record = await service.start({ phoneNumber });
      if (record.status !== "submitted") throw new Error(`expected SUBMITTED after Start, got ${record.status}`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  return performance.now() - began;
}

async function main(): Promise<TimerBenchResult> {
  const numbers = phonePool(PENDING + CALIBRATION);
  const calibrationNumbers = numbers.slice(PENDING);
  const pendingNumbers = numbers.slice(0, PENDING);

  // Calibration: how fast Starts go here, to pick a window that outlasts creating all of them.
  const calibrationApp = await startApp(benchConfig({ smsOutcome: "drop", deliveryWindow: "10m", codeTtl: "30m", maxCheckAttempts: 5 }), {
    port: 0,
    host: "127.0.0.1",
    logger: countingLogger(log).logger,
  });
  const calibrationMs = await createAll(calibrationApp.service, calibrationNumbers);
  await calibrationApp.close();
  const calibrationRate = (CALIBRATION / calibrationMs) * 1000;
  // Twice the estimated creation time plus 10 s for the GC and measurements in between.
  const creationRate = Math.min(calibrationRate, DUE_RATE);
  const deliveryWindowMs = Math.max(15_000, Math.ceil(((2 * PENDING) / creationRate) * 1000 + 10_000));
  log(`  calibration: ${Math.round(calibrationRate).toLocaleString("en-US")} Starts/s in-process; delivery_window = ${(deliveryWindowMs / 1000).toFixed(1)} s`);

  // The Start load: its numbers are made now, so that the client's CPU does not compete with creation.
  const loadCount = Math.ceil(START_RATE * ((PENDING / creationRate) * 2 + 20));
  const load = START_RATE > 0 ? await startLoadClient(PENDING + CALIBRATION, loadCount) : undefined;

  const { logger, tally } = countingLogger(log);
  const lateness = new Float64Array(PENDING * 2);
  let samples = 0;
  let firstClaim = 0;
  let lastClaim = 0;
  const app = await startApp(benchConfig({ smsOutcome: "drop", deliveryWindow: `${deliveryWindowMs}ms`, codeTtl: "30m", maxCheckAttempts: 5 }), {
    port: 0,
    host: "127.0.0.1",
    logger,
    onTimerLateness: (lateMs) => {
      const now = performance.now();
      if (samples === 0) firstClaim = now;
      lastClaim = now;
      if (samples < lateness.length) lateness[samples] = lateMs;
      samples++;
    },
  });

  const before = heapAfterGc();
  const creationStartedAt = Date.now();
  const creationMs = await createAll(app.service, pendingNumbers, DUE_RATE);
  const firedDuringCreation = samples;
  const pending = heapAfterGc();
  const bytesPerPending = (pending.heapUsed - before.heapUsed) / PENDING;
  log(
    `  created ${PENDING.toLocaleString("en-US")} in ${(creationMs / 1000).toFixed(1)} s; heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(pending.heapUsed / 2 ** 20).toFixed(1)} MiB ` +
      `= ${Math.round(bytesPerPending)} B per pending verification; waiting for the windows to run out`,
  );

  // The first window ends deliveryWindowMs after the first Start; the last about creationMs later.
  const firstDue = creationStartedAt + deliveryWindowMs;
  await sleep(Math.max(0, firstDue - Date.now() - 2_000));
  // Starts from 1 s before the first window ends until 1 s after the last should have.
  const loadMs = firstDue - Date.now() + creationMs + 2_000;
  if (load) {
    send(load.child, { type: "client", client: "raw-grpc", url: app.url });
    await load.inbox.next("client-ready");
    send(load.child, { type: "run", rpc: "start", concurrency: 0, warmupMs: 1_000, durationMs: loadMs - 1_000, ratePerSecond: START_RATE });
    await load.inbox.next("mark", (m) => m.edge === "begin");
  }
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  // Where the longest stall fell, to tell a GC pause or a starved process from the loop falling behind.
  const stall = { ms: 0, startedAtMs: 0, claimedByEnd: 0 };
  let lastTick = performance.now();
  const stallWatch = setInterval(() => {
    const now = performance.now();
    const gap = now - lastTick;
    if (gap > stall.ms) Object.assign(stall, { ms: gap, startedAtMs: Date.now() - gap - firstDue, claimedByEnd: samples });
    lastTick = now;
  }, 10);
  const profiler = PROFILE ? await startProfiler() : undefined;
  const cpuStart = process.cpuUsage();
  const machineStart = machineBusyMs();
  const wallStart = performance.now();
  const deadline = Date.now() + creationMs + 60_000;
  while (samples < PENDING && Date.now() < deadline) await sleep(100);
  const timedOut = samples < PENDING;
  while (app.timers.pending > 0 && Date.now() < deadline) await sleep(20);
  delay.disable();
  clearInterval(stallWatch);
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  const ownCpuPct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
  const otherCpuPct = Math.max(0, ((machineBusyMs() - machineStart) / wallMs) * 100 - ownCpuPct);
  if (profiler) log(await profiler.stop(join(BENCH_DIR, "profiles", "timers.cpuprofile")));
  const startLoad = load ? { ...(await load.inbox.next("result")).result, ratePerSecond: START_RATE } : undefined;
  if (load) await stopLoadClient(load.child);

  let failedOver = 0;
  for (const phoneNumber of pendingNumbers) {
    const record = await app.store.findActiveByPhone(phoneNumber);
    const [first, second] = record?.attempts ?? [];
    // Usually sim-a then sim-b; the router's exploration sends a few to sim-b first.
    if (first?.status === "timed_out" && second !== undefined && second.provider !== first.provider) failedOver++;
  }
  await app.close();

  const ns = (value: number) => value / 1e6;
  return {
    pending: PENDING,
    creationMs,
    creationRate: (PENDING / creationMs) * 1000,
    calibrationRate,
    deliveryWindowMs,
    heapBefore: before.heapUsed,
    heapPending: pending.heapUsed,
    rssBefore: before.rss,
    rssPending: pending.rss,
    bytesPerPending,
    lateness: distribution(lateness, Math.min(samples, lateness.length)),
    firedDuringCreation,
    failedOver,
    drainMs: lastClaim - firstClaim,
    eventLoopDelay: { p50: ns(delay.percentile(50)), p99: ns(delay.percentile(99)), max: ns(delay.max) },
    longestStall: stall,
    timedOut,
    log: tally,
    ownCpuPct,
    otherCpuPct,
    startLoad,
  };
}

/** bench/load-client.ts in its own process, its phone numbers made (after the ones this process uses). */
async function startLoadClient(skip: number, count: number) {
  const child = fork(join(BENCH_DIR, "load-client.ts"), [], { cwd: REPO_ROOT, execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const inbox = new Inbox(child, log);
  send(child, { type: "prepare", poolSize: count, skip });
  await inbox.next("ready");
  return { child, inbox };
}

main().then(
  (result) => {
    if (process.send) process.send({ type: "result", result }, () => process.exit(0));
    else {
      console.log(JSON.stringify(result, null, 2));
      process.exit(0);
    }
  },
  (error: unknown) => {
    log(`timer bench failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
