/**
 * Start-up time and idle footprint of one verifyd process from the build
 * (issue 13: "ready in under 1 s; idle RSS under 100 MB").
 *
 * The build is made first when it is missing or older than the sources (the
 * same check and lock as the command-line suites, test/cli/support/build.ts;
 * BENCH_STARTUP_BUILD=never skips it). Then, `runs` times: verifyd is spawned
 * as `npm start` runs it (`node dist/src/main.js serve`, with this process's
 * Node, the pinned one under npx) with the embedded default configuration on
 * a free port (`--port`, as `npm start -- --port N` passes it), and timed from
 * the spawn to GET /readyz answering 200 (polled every 5 ms) and to its
 * "verifyd listening" log line; after `idleMs` of idling, VmRSS and VmHWM are
 * read from /proc/<pid>/status and the processes in its tree counted; then it
 * is stopped with SIGTERM (it drains and exits 0).
 *
 * What the idle RSS is made of, from one more run that is not timed: the
 * same command with --expose-gc and a small preload module (written to a
 * temporary file) that records every module resolved, and on SIGUSR2 writes
 * process.memoryUsage() before and after a full GC, V8's heap spaces and the
 * modules loaded; /proc/<pid>/smaps_rollup splits RSS into anonymous memory
 * and file-backed pages (the node binary). A bare `node` idling as long gives
 * the floor no code of ours can go below.
 *
 * Standalone: `npx tsx bench/startup.ts` (writes the "Startup and idle
 * footprint (issue 13)" section of bench/RESULTS.md and prints it). Knobs
 * (environment): BENCH_STARTUP_RUNS (5), BENCH_STARTUP_IDLE_MS (10000),
 * BENCH_STARTUP_BUILD (auto | never).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureBuilt, MAIN } from "../test/cli/support/build.js";
import { fmtInt, REPO_ROOT, sleep, writeResultsSection } from "./shared.js";

export const STARTUP_HEADING = "Startup and idle footprint (issue 13)";
const TARGET_READY_MS = 1_000;
const TARGET_IDLE_RSS_BYTES = 100 * 1000 * 1000;
const START_TIMEOUT_MS = 30_000;

export interface StartupOptions {
  runs?: number;
  idleMs?: number;
  /** "auto": build when dist/ is missing or older than the sources; "never": use dist/ as it is. */
  build?: "auto" | "never";
  log?: (line: string) => void;
}

export interface StartupRun {
  /** Spawn → GET /readyz answered 200. */
  readyMs: number;
  /** Spawn → the "verifyd listening" line read from its stdout. */
  listeningMs: number;
  /** The line's own ready_ms (from the start of the process, as Node counts it). */
  loggedReadyMs: number;
  /** CPU (user + system) the process had used when it was ready. */
  cpuMsToReady: number;
  idle: Footprint;
  /** Node's heap gauge from GET /metrics after the idle time, when one is exported (read after the footprint). */
  metricsHeapBytes: number | undefined;
  exitCode: number | null;
}

export interface Footprint {
  rssBytes: number;
  hwmBytes: number;
  anonymousBytes: number;
  fileBytes: number;
  threads: number;
  /** Processes in the tree rooted at the spawned one, itself included. */
  processes: number;
}

export interface ModuleGroup {
  /** An npm package, "verifyd (dist)", or another place. */
  name: string;
  files: number;
  bytes: number;
}

export interface Breakdown {
  footprint: Footprint;
  memory: NodeJS.MemoryUsage;
  afterGc: NodeJS.MemoryUsage;
  heapSpaces: { name: string; usedBytes: number; committedBytes: number }[];
  code: { bytecodeAndMetadata: number; externalScriptSource: number };
  modules: ModuleGroup[];
  moduleFiles: number;
}

export interface StartupResult {
  node: string;
  /** The machine's load average (1, 5, 15 min) when the timed runs began. */
  loadBefore: number[];
  built: boolean;
  idleMs: number;
  runs: StartupRun[];
  breakdown: Breakdown | undefined;
  /** A bare `node` (an empty timer loop) after the same idle time. */
  bareNode: Footprint | undefined;
}

// --- one verifyd process ----------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const request = http.get({ host: "127.0.0.1", port, path, agent: false, timeout: 1_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolvePromise({ status: response.statusCode ?? 0, body }));
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
  });
}

/** Polls GET /readyz every 5 ms until it answers 200; resolves to when (performance.now()). */
async function readyAt(port: number, child: ChildProcess, deadline: number): Promise<number> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`verifyd exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    if (performance.now() > deadline) throw new Error(`GET /readyz did not answer 200 within ${START_TIMEOUT_MS} ms`);
    const answered = await httpGet(port, "/readyz").catch(() => undefined);
    if (answered?.status === 200) return performance.now();
    await sleep(5);
  }
}

/** The "verifyd listening" line: when it was read, and its ready_ms. */
function listeningLine(child: ChildProcess, output: string[]): Promise<{ at: number; readyMs: number }> {
  return new Promise((resolvePromise) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const at = performance.now();
      if (output.length < 50) output.push(line);
      if (!line.includes('"verifyd listening"')) return;
      resolvePromise({ at, readyMs: Number((JSON.parse(line) as { ready_ms?: number }).ready_ms ?? Number.NaN) });
    });
  });
}

interface Started {
  child: ChildProcess;
  port: number;
  readyMs: number;
  listeningMs: number;
  loggedReadyMs: number;
  cpuMsToReady: number;
  output: string[];
}

/** Spawns `node [execArgv] dist/src/main.js serve --port N` and waits until it is ready and has said so. */
async function startVerifyd(execArgv: readonly string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<Started> {
  const port = await freePort();
  const env = { ...process.env, ...extraEnv };
  // Whatever the bench itself was started with (tsx's loader, telemetry exporters) is not verifyd's.
  delete env.NODE_OPTIONS;
  for (const name of Object.keys(env)) if (name.startsWith("OTEL_")) delete env[name];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...execArgv, MAIN, "serve", "--port", String(port)], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => output.length < 50 && output.push(chunk.toString().trimEnd()));
  try {
    const deadline = spawnedAt + START_TIMEOUT_MS;
    const listening = listeningLine(child, output);
    const ready = await readyAt(port, child, deadline);
    const cpuMsToReady = processCpuMs(child.pid!);
    const said = await Promise.race([listening, sleep(Math.max(0, deadline - performance.now())).then(() => undefined)]);
    if (!said) throw new Error('no "verifyd listening" line');
    return { child, port, readyMs: ready - spawnedAt, listeningMs: said.at - spawnedAt, loggedReadyMs: said.readyMs, cpuMsToReady, output };
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${(error as Error).message}\n${output.join("\n")}`);
  }
}

/** SIGTERM, then the exit code (SIGKILL after 10 s). */
async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolvePromise) => child.once("exit", (code) => resolvePromise(code)));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

// --- /proc ---------------------------------------------------------------------------

const TICK_MS = 10; // USER_HZ is 100 on Linux

function processCpuMs(pid: number): number {
  // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function kibField(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** The processes whose parent chain leads to `root`, itself included. */
function processTree(root: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone since the listing.
    }
  }
  let count = 0;
  for (const pid of parents.keys()) {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parents.get(at)) {
      if (at === root) {
        count++;
        break;
      }
    }
  }
  return count;
}

function footprint(pid: number): Footprint {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const rss = kibField(rollup, "Rss");
  const anonymous = kibField(rollup, "Anonymous");
  return {
    rssBytes: kibField(status, "VmRSS"),
    hwmBytes: kibField(status, "VmHWM"),
    anonymousBytes: anonymous,
    fileBytes: rss - anonymous,
    threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN),
    processes: processTree(pid),
  };
}

// --- the runs ------------------------------------------------------------------------

async function timedRun(idleMs: number): Promise<StartupRun> {
  const started = await startVerifyd();
  try {
    await sleep(idleMs);
    const idle = footprint(started.child.pid!);
    const heapBytes = await metricsHeap(started.port);
    const { child, readyMs, listeningMs, loggedReadyMs, cpuMsToReady } = started;
    return { readyMs, listeningMs, loggedReadyMs, cpuMsToReady, idle, metricsHeapBytes: heapBytes, exitCode: await stop(child) };
  } finally {
    started.child.kill("SIGKILL");
  }
}

/** Node's heap gauge from GET /metrics, if one is exported (the names OpenTelemetry's runtime metrics and prom-client use). */
async function metricsHeap(port: number): Promise<number | undefined> {
  const { status, body } = await httpGet(port, "/metrics").catch(() => ({ status: 0, body: "" }));
  if (status !== 200) return undefined;
  const line = body.split("\n").find((l) => /^(v8js_memory_heap_used|nodejs_heap_size_used_bytes|process_heap_bytes)\b/.test(l));
  return line ? Number(line.split(" ").at(-1)) : undefined;
}

/** The preload of the breakdown run: records each module resolved; SIGUSR2 writes memory figures and the list to STARTUP_PROBE_OUT. */
const PROBE = `
import { registerHooks } from "node:module";
import { writeFileSync } from "node:fs";
import v8 from "node:v8";
const loaded = new Set();
registerHooks({ resolve(specifier, context, next) { const resolved = next(specifier, context); loaded.add(resolved.url); return resolved; } });
process.on("SIGUSR2", () => {
  const memory = process.memoryUsage();
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  const afterGc = process.memoryUsage();
  const heapSpaces = v8.getHeapSpaceStatistics().map((s) => ({ name: s.space_name, usedBytes: s.space_used_size, committedBytes: s.physical_space_size }));
  const codeStats = v8.getHeapCodeStatistics();
  const code = { bytecodeAndMetadata: codeStats.bytecode_and_metadata_size, externalScriptSource: codeStats.external_script_source_size };
  writeFileSync(process.env.STARTUP_PROBE_OUT, JSON.stringify({ memory, afterGc, heapSpaces, code, modules: [...loaded] }));
});
`;

/** Files under node_modules by package, dist/ as verifyd, the rest by directory. */
function groupModules(urls: readonly string[]): ModuleGroup[] {
  const groups = new Map<string, ModuleGroup>();
  for (const url of urls) {
    if (!url.startsWith("file:")) continue;
    const path = fileURLToPath(url);
    const inPackage = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    const name = inPackage ? inPackage[1]! : path.startsWith(join(REPO_ROOT, "dist")) ? "verifyd (dist)" : path;
    const group = groups.get(name) ?? { name, files: 0, bytes: 0 };
    group.files++;
    group.bytes += statSync(path, { throwIfNoEntry: false })?.size ?? 0;
    groups.set(name, group);
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes);
}

async function breakdownRun(idleMs: number): Promise<Breakdown> {
  const dir = mkdtempSync(join(tmpdir(), "verifyd-startup-"));
  try {
    const probe = join(dir, "probe.mjs");
    const out = join(dir, "out.json");
    writeFileSync(probe, PROBE);
    const started = await startVerifyd(["--expose-gc", "--import", pathToFileURL(probe).href], { STARTUP_PROBE_OUT: out });
    try {
      await sleep(idleMs);
      const idle = footprint(started.child.pid!);
      started.child.kill("SIGUSR2");
      const deadline = performance.now() + 10_000;
      while (statSync(out, { throwIfNoEntry: false }) === undefined && performance.now() < deadline) await sleep(20);
      await sleep(50);
      const probed = JSON.parse(readFileSync(out, "utf8")) as Omit<Breakdown, "footprint" | "modules" | "moduleFiles"> & { modules: string[] };
      const files = probed.modules.filter((url) => url.startsWith("file:"));
      return { ...probed, footprint: idle, modules: groupModules(files), moduleFiles: files.length };
    } finally {
      await stop(started.child);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bareNodeRun(idleMs: number): Promise<Footprint> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  try {
    await sleep(idleMs);
    return footprint(child.pid!);
  } finally {
    await stop(child);
  }
}

/** Builds if needed, then the timed runs, the breakdown run and the bare-node floor. */
export async function runStartupBench(options: StartupOptions = {}): Promise<StartupResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const runs = options.runs ?? 5;
  const idleMs = options.idleMs ?? 10_000;
  const builtBefore = statSync(MAIN, { throwIfNoEntry: false })?.mtimeMs;
  if ((options.build ?? "auto") === "auto") await ensureBuilt();
  const built = statSync(MAIN, { throwIfNoEntry: false })?.mtimeMs !== builtBefore;
  log(`  ${built ? "built dist/ (npm run build)" : "dist/ is up to date"}; ${runs} runs, ${idleMs / 1000} s idle each`);
  const loadBefore = loadavg();
  const timed: StartupRun[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await timedRun(idleMs);
    timed.push(run);
    log(
      `  run ${i + 1}: ready ${fmtInt(run.readyMs)} ms (listening line ${fmtInt(run.listeningMs)} ms), idle RSS ${mib(run.idle.rssBytes)}, ` +
        `${run.idle.processes} process(es), exit ${run.exitCode}`,
    );
  }
  const breakdown = await breakdownRun(idleMs).catch((error: unknown) => {
    log(`  breakdown run failed: ${(error as Error).message}`);
    return undefined;
  });
  const bareNode = await bareNodeRun(idleMs).catch(() => undefined);
  return { node: process.version, loadBefore, built, idleMs, runs: timed, breakdown, bareNode };
}

// --- the report ----------------------------------------------------------------------

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const passFail = (ok: boolean) => (ok ? "**PASS**" : "**FAIL**");

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function targetRows(r: StartupResult): string[] {
  const ready = r.runs.map((run) => run.readyMs);
  const rss = r.runs.map((run) => run.idle.rssBytes);
  const processes = Math.max(...r.runs.map((run) => run.idle.processes));
  const cleanExits = r.runs.every((run) => run.exitCode === 0);
  return [
    "| Figure | Measured | Target | Result |",
    "|---|---|---|---|",
    `| Ready (spawn → GET /readyz 200), ${r.runs.length} runs; PASS needs every run under | median **${fmtInt(median(ready))} ms**, max ${fmtInt(Math.max(...ready))} ms | < ${fmtInt(TARGET_READY_MS)} ms | ${passFail(Math.max(...ready) < TARGET_READY_MS)} |`,
    `| Idle RSS after ${r.idleMs / 1000} s (VmRSS) | median **${mib(median(rss))}** (${mb(median(rss))}), max ${mib(Math.max(...rss))}; peak (VmHWM) max ${mib(Math.max(...r.runs.map((run) => run.idle.hwmBytes)))} | < 100 MB | ${passFail(Math.max(...rss) < TARGET_IDLE_RSS_BYTES)} |`,
    `| Processes in its tree | ${processes} | 1 | ${passFail(processes === 1 && cleanExits)} |`,
  ];
}

function runRows(r: StartupResult): string[] {
  return [
    '| Run | Ready (/readyz 200) | "listening" line read | its ready_ms | CPU to ready | Idle RSS | Anonymous / file-backed | Threads | SIGTERM exit |',
    "|---|---|---|---|---|---|---|---|---|",
    ...r.runs.map(
      (run, i) =>
        `| ${i + 1} | ${fmtInt(run.readyMs)} ms | ${fmtInt(run.listeningMs)} ms | ${fmtInt(run.loggedReadyMs)} ms | ${fmtInt(run.cpuMsToReady)} ms | ${mib(run.idle.rssBytes)} | ` +
        `${mib(run.idle.anonymousBytes)} / ${mib(run.idle.fileBytes)} | ${run.idle.threads} | ${run.exitCode} |`,
    ),
  ];
}

function breakdownLines(r: StartupResult): string[] {
  const b = r.breakdown;
  const heap = r.runs.at(-1)?.metricsHeapBytes;
  if (!b) return ["- Breakdown: the probed run failed (see the log)."];
  const m = b.memory;
  const g = b.afterGc;
  const spaces = b.heapSpaces.filter((s) => s.committedBytes > 512 * 1024).map((s) => `${s.name} ${mib(s.usedBytes)} used / ${mib(s.committedBytes)} committed`);
  const bare = r.bareNode
    ? `; a bare \`node\` idling as long: RSS ${mib(r.bareNode.rssBytes)} (${mib(r.bareNode.anonymousBytes)} anonymous, ${mib(r.bareNode.fileBytes)} file-backed)`
    : "";
  return [
    `- What the idle RSS holds (one more run, with --expose-gc and a preload probe; not timed): RSS ${mib(b.footprint.rssBytes)} = ${mib(b.footprint.anonymousBytes)} anonymous + ${mib(b.footprint.fileBytes)} file-backed (the node binary and its libraries)${bare}.`,
    `- process.memoryUsage() idle: rss ${mib(m.rss)}, heapTotal ${mib(m.heapTotal)}, heapUsed ${mib(m.heapUsed)}, external ${mib(m.external)}, arrayBuffers ${mib(m.arrayBuffers)}; after a full GC: heapTotal ${mib(g.heapTotal)}, heapUsed ${mib(g.heapUsed)}, rss ${mib(g.rss)}.`,
    `- V8 heap spaces after GC: ${spaces.join("; ")}. Bytecode and metadata ${mib(b.code.bytecodeAndMetadata)}, script sources ${mib(b.code.externalScriptSource)}.`,
    `- Modules loaded: ${fmtInt(b.moduleFiles)} files from ${fmtInt(b.modules.length)} packages or places; the largest by source size: ` +
      `${b.modules
        .slice(0, 15)
        .map((group) => `${group.name} ${fmtInt(group.files)} files ${mib(group.bytes)}`)
        .join(", ")}.`,
    `- GET /metrics: ${heap === undefined ? "no Node heap gauge exported, so no heap figure from it" : `heap used ${mib(heap)} (last timed run, after its idle time)`}.`,
  ];
}

/** The "Startup and idle footprint (issue 13)" section of bench/RESULTS.md. */
export function startupReport(r: StartupResult): string {
  return [
    `## ${STARTUP_HEADING}`,
    "",
    `- Date: ${new Date().toISOString()}; Node ${r.node}; ${r.built ? "dist/ built by this run (npm run build)" : "dist/ was up to date"}; ` +
      `load average when the runs began ${r.loadBefore.map((l) => l.toFixed(2)).join(", ")} (2 cores shared)`,
    "- Reproduce: `npx tsx bench/startup.ts` (knobs: BENCH_STARTUP_RUNS, BENCH_STARTUP_IDLE_MS, BENCH_STARTUP_BUILD=never)",
    "- Method: `node dist/src/main.js serve --port N` (what `npm start -- --port N` execs), the embedded default configuration, spawned with the pinned Node; " +
      "timed from the spawn; /proc/<pid>/status and smaps_rollup read after the idle time; stopped with SIGTERM. Node's compile cache (main.ts) is warm after the first run.",
    "",
    ...targetRows(r),
    "",
    ...runRows(r),
    "",
    ...breakdownLines(r),
  ].join("\n");
}

// --- standalone --------------------------------------------------------------------------

async function main(): Promise<void> {
  const env = process.env;
  const result = await runStartupBench({
    runs: Number(env.BENCH_STARTUP_RUNS ?? 5),
    idleMs: Number(env.BENCH_STARTUP_IDLE_MS ?? 10_000),
    build: env.BENCH_STARTUP_BUILD === "never" ? "never" : "auto",
  });
  const section = startupReport(result);
  writeResultsSection(STARTUP_HEADING, section);
  console.log(`\n${section}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((error: unknown) => {
    console.error(`startup bench failed: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  });
}
