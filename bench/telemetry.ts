/**
 * What observability costs: Start and Check throughput of one verifyd with
 * tracing and metrics on next to off, in one run.
 *
 *   npx tsx bench/telemetry.ts [--seconds 3] [--warmup 1] [--rounds 5] [--concurrency 32]
 *                              [--configs off,metrics,on] [--rpcs start,check] [--max-overhead 0.15] [--json FILE]
 *
 * - off:     Telemetry.off(): no interceptor, no wrapped caller, no observer.
 * - metrics: metrics only (GET /metrics scraped every 5 s, as Prometheus would).
 * - on:      metrics, plus a span per RPC and per provider attempt exported
 *            over OTLP http/protobuf to a local collector stand-in (an HTTP
 *            sink in this process that accepts and counts the batches).
 *
 * Every sampled request is traced (no sampling), so "on" is the worst case.
 * Each configuration gets a fresh verifyd per round; a first, uncounted
 * round warms the JIT up, and the order rotates from round to round, so
 * drift on the machine hits all alike; the median round counts. Server CPU
 * per call is reported next to throughput: on a shared machine it is the
 * steadier figure. The load comes from a forked process over one HTTP/2
 * connection (raw Connect protocol, binary), so the client's CPU does not
 * share verifyd's event loop. Exits 1 when "on" is more than --max-overhead
 * slower than "off" for either RPC.
 */
import { type ChildProcess, fork } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { parsePhoneNumber } from "libphonenumber-js/max";
import { CheckRequestSchema, StartRequestSchema, StartResponseSchema } from "../gen/verify/v1/verify_pb.js";
import { parseConfig } from "../src/config/load-config.js";
import { startApp } from "../src/server/app.js";
import { createLogger } from "../src/telemetry/logger.js";
import { startTelemetry, Telemetry } from "../src/telemetry/telemetry.js";

type Rpc = "start" | "check";
type ConfigName = "off" | "metrics" | "on";

type ToClient =
  | { type: "prepare"; poolSize: number }
  | { type: "run"; url: string; rpc: Rpc; concurrency: number; warmupMs: number; durationMs: number }
  | { type: "exit" };
type FromClient =
  | { type: "ready"; poolSize: number }
  /** calls: completed inside the measured window; total: warm-up included. */
  | { type: "result"; calls: number; total: number; errors: number; errorSample?: string; seconds: number };

const CONFIG_YAML = `
server: { port: 0, host: 127.0.0.1, shutdown_grace: 2s }
store: { type: memory }
security: { code_hmac_key: "bench-only-hmac-key-not-a-secret-0123456789" }
log: { level: silent }
policy: { code_length: 6, code_ttl: 30m, delivery_window: 10m, max_check_attempts: 100, resend_min_interval: 30s }
rate_limits:
  per_phone: { limit: 1000, window: 10m }
  per_ip: { limit: 100000000, window: 10m }
  check_per_ip: { limit: 100000000, window: 10m }
providers:
  # Accept at once and never send a receipt: no timer fires during a round.
  - { name: sim-a, type: simulator, channels: [sms], cost: 0.0075, simulate: { default: { outcome: drop, latency_ms: 0 } } }
  - { name: sim-b, type: simulator, channels: [sms], cost: 0.009, simulate: { default: { outcome: drop, latency_ms: 0 } } }
routing: { default: [sim-a, sim-b] }
`;

if (process.argv.includes("--load-client")) {
  runLoadClient();
} else {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "3" },
      warmup: { type: "string", default: "1" },
      rounds: { type: "string", default: "5" },
      concurrency: { type: "string", default: "32" },
      configs: { type: "string", default: "off,metrics,on" },
      // Check needs the verifications its round's Start phase made: "check" alone is not a choice.
      rpcs: { type: "string", default: "start,check" },
      "max-overhead": { type: "string", default: "0.15" },
      json: { type: "string" },
    },
  });
  const durationMs = Number(values.seconds) * 1000;
  const warmupMs = Number(values.warmup) * 1000;
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const maxOverhead = Number(values["max-overhead"]);
  const configs = values.configs.split(",").map((name) => name.trim()) as ConfigName[];
  for (const name of configs) if (!["off", "metrics", "on"].includes(name)) throw new Error(`unknown configuration ${name}`);
  const rpcs = values.rpcs.split(",").map((name) => name.trim()) as Rpc[];
  if (!rpcs.includes("start") || rpcs.some((rpc) => rpc !== "start" && rpc !== "check")) throw new Error("--rpcs is start or start,check");

  const sink = await startOtlpSink();
  const client = fork(fileURLToPath(import.meta.url), ["--load-client"], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const inbox = new Inbox(client);
  // Enough fresh numbers for the fastest Start phase imaginable; each round's verifyd starts empty, so rounds reuse them.
  const poolSize = Math.max(20_000, Math.ceil(((durationMs + warmupMs) / 1000) * 20_000));
  client.send({ type: "prepare", poolSize } satisfies ToClient);
  const ready = await inbox.next("ready");
  log(
    `telemetry bench: ${configs.join(" / ")}, ${rounds} round(s) of ${values.warmup}+${values.seconds} s per RPC, ${concurrency} calls in flight, ${ready.poolSize.toLocaleString("en-US")} numbers`,
  );

  const results = new Map<ConfigName, Record<Rpc, number[]>>(configs.map((name) => [name, { start: [], check: [] }]));
  const cpuPerCall = new Map<ConfigName, Record<Rpc, number[]>>(configs.map((name) => [name, { start: [], check: [] }]));
  try {
    // Round 0 warms the JIT up for every configuration and is not counted; later rounds rotate the
    // order, so no configuration always runs first (on a fresh process) or last.
    for (let round = 0; round <= rounds; round++) {
      const order = configs.map((_, index) => configs[(index + round) % configs.length]!);
      for (const name of order) {
        const telemetry = telemetryFor(name, sink.url);
        const app = await startApp(parseConfig(CONFIG_YAML, {}, "bench"), { port: 0, host: "127.0.0.1", logger: createLogger("silent"), telemetry });
        // Prometheus scrapes every 15-60 s; every 5 s is on the expensive side.
        const scraper = name === "off" ? undefined : setInterval(() => void fetch(`${app.url}/metrics`).then((response) => response.text()), 5_000);
        try {
          for (const rpc of rpcs) {
            const cpuBefore = process.cpuUsage();
            client.send({ type: "run", url: app.url, rpc, concurrency, warmupMs, durationMs } satisfies ToClient);
            const result = await inbox.next("result");
            const cpu = process.cpuUsage(cpuBefore);
            if (result.errors > 0) throw new Error(`${name} ${rpc}: ${result.errors} errors, e.g. ${result.errorSample}`);
            const throughput = result.calls / result.seconds;
            // Robust where throughput is not: on a busy machine the CPU a call costs stays what it is.
            const microsPerCall = (cpu.user + cpu.system) / Math.max(1, result.total);
            if (round === 0) continue;
            results.get(name)![rpc].push(throughput);
            cpuPerCall.get(name)![rpc].push(microsPerCall);
            log(`  round ${round}  ${name.padEnd(7)} ${rpc.padEnd(5)} ${fmt(throughput).padStart(7)} calls/s  ${microsPerCall.toFixed(0).padStart(5)} µs CPU/call`);
          }
        } finally {
          if (scraper) clearInterval(scraper);
          await app.close();
          await telemetry.shutdown();
        }
      }
    }
  } finally {
    client.send({ type: "exit" } satisfies ToClient);
    await sink.close();
  }

  const summary: Record<string, Record<Rpc, number>> = {};
  const cpuSummary: Record<string, Record<Rpc, number>> = {};
  for (const [name, byRpc] of results) summary[name] = { start: median(byRpc.start), check: median(byRpc.check) };
  for (const [name, byRpc] of cpuPerCall) cpuSummary[name] = { start: median(byRpc.start), check: median(byRpc.check) };
  log("");
  log(`  ${"".padEnd(8)} ${"Start".padStart(9)} ${"".padEnd(8)} ${"Check".padStart(9)} ${"".padEnd(8)}   median calls/s (change against off); server CPU per call`);
  for (const name of configs) {
    const row = summary[name]!;
    const cpuRow = cpuSummary[name]!;
    const change = (rpc: Rpc) => (name === "off" || !summary.off ? "" : ` ${pct(row[rpc] / summary.off[rpc]! - 1)}`);
    log(
      `  ${name.padEnd(8)} ${fmt(row.start).padStart(9)}${change("start").padEnd(9)} ${fmt(row.check).padStart(9)}${change("check").padEnd(9)}   ` +
        `Start ${cpuRow.start.toFixed(0)} µs, Check ${cpuRow.check.toFixed(0)} µs`,
    );
  }
  log(`  OTLP sink received ${sink.batches.toLocaleString("en-US")} batches, ${(sink.bytes / (1 << 20)).toFixed(1)} MiB of spans`);

  let failed = false;
  if (summary.off && summary.on) {
    for (const rpc of rpcs) {
      const overhead = 1 - summary.on[rpc] / summary.off[rpc];
      const verdict = overhead <= maxOverhead ? "ok" : "TOO SLOW";
      failed ||= overhead > maxOverhead;
      log(`  ${rpc}: tracing + metrics cost ${pct(overhead)} of throughput (limit ${pct(maxOverhead)}): ${verdict}`);
    }
  }
  if (values.json) {
    const report = { concurrency, durationMs, rounds, summary, cpuSummary, raw: Object.fromEntries(results), sink: { batches: sink.batches, bytes: sink.bytes } };
    writeFileSync(values.json, JSON.stringify(report, null, 2));
  }
  return failed ? 1 : 0;
}

function telemetryFor(name: ConfigName, sinkUrl: string): Telemetry {
  if (name === "off") return Telemetry.off();
  if (name === "metrics") return startTelemetry({ env: {} });
  return startTelemetry({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      // Big enough that no span is dropped at full load: the sink receives what a collector would.
      OTEL_BSP_MAX_QUEUE_SIZE: "262144",
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "8192",
      OTEL_BSP_SCHEDULE_DELAY: "1000",
    },
  });
}

/** Stands in for an OpenTelemetry collector: accepts OTLP/HTTP trace exports, counts them, answers success. */
async function startOtlpSink(): Promise<{ url: string; batches: number; bytes: number; close(): Promise<void> }> {
  const state = { url: "", batches: 0, bytes: 0, close: async () => {} };
  const server = http.createServer((request, response) => {
    request.on("data", (chunk: Buffer) => (state.bytes += chunk.length));
    request.on("end", () => {
      state.batches++;
      // An empty ExportTraceServiceResponse: everything accepted.
      response.writeHead(200, { "content-type": "application/x-protobuf", "content-length": 0 });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

// --- the load client (forked) --------------------------------------------------

function runLoadClient(): void {
  let pool: string[] = [];
  let ids: string[] = [];
  const reply = (message: FromClient) => process.send!(message);
  process.on("message", (message: ToClient) => {
    if (message.type === "exit") process.exit(0);
    if (message.type === "prepare") {
      pool = phonePool(message.poolSize);
      reply({ type: "ready", poolSize: pool.length });
      return;
    }
    void runPhase(message, pool, ids).then((outcome) => {
      if (message.rpc === "start") ids = outcome.ids;
      reply({
        type: "result",
        calls: outcome.calls,
        total: outcome.total,
        errors: outcome.errors,
        errorSample: outcome.errorSample,
        seconds: message.durationMs / 1000,
      });
    });
  });
}

async function runPhase(
  run: Extract<ToClient, { type: "run" }>,
  pool: string[],
  startedIds: string[],
): Promise<{ calls: number; total: number; errors: number; errorSample?: string; ids: string[] }> {
  const session = http2.connect(run.url);
  session.on("error", () => {});
  const ids: string[] = [];
  let next = 0;
  let calls = 0;
  let total = 0;
  let errors = 0;
  let errorSample: string | undefined;
  const begin = performance.now() + run.warmupMs;
  const end = begin + run.durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const index = next++;
      let path: string;
      let body: Uint8Array;
      if (run.rpc === "start") {
        if (index >= pool.length) throw new Error("the phone pool ran out: raise its size");
        path = "/verify.v1.VerificationService/Start";
        body = toBinary(StartRequestSchema, create(StartRequestSchema, { phoneNumber: pool[index]!, clientIp: "203.0.113.7" }));
      } else {
        path = "/verify.v1.VerificationService/Check";
        // A wrong code on purpose: the full path (HMAC, write, event) without locking (100 attempts, ≤ 90 used).
        body = toBinary(
          CheckRequestSchema,
          create(CheckRequestSchema, { verificationId: startedIds[index % startedIds.length]!, code: "000000", clientIp: "203.0.113.7" }),
        );
      }
      try {
        const answer = await unary(session, path, body);
        if (run.rpc === "start") ids.push(fromBinary(StartResponseSchema, answer).verification!.id);
        const now = performance.now();
        total++;
        if (now >= begin && now < end) calls++;
      } catch (error) {
        errors++;
        errorSample ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, worker));
  session.close();
  if (run.rpc === "check" && calls / Math.max(1, startedIds.length) > 90) throw new Error("too few verifications for the Check phase: some would lock");
  return { calls, total, errors, errorSample, ids };
}

function unary(session: http2.ClientHttp2Session, path: string, body: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/proto" });
    const chunks: Buffer[] = [];
    let status = 0;
    stream.on("response", (headers) => (status = Number(headers[":status"])));
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => (status === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${status}: ${Buffer.concat(chunks).toString()}`))));
    stream.on("error", reject);
    stream.end(body);
  });
}

/** Distinct valid US numbers (libphonenumber "max" metadata), spread over many exchanges; 555 is left to the demos. */
function phonePool(count: number): string[] {
  const numbers: string[] = [];
  for (let area = 201; area <= 989 && numbers.length < count; area++) {
    for (let exchange = 202; exchange <= 998 && numbers.length < count; exchange += 7) {
      if (exchange === 555 || !isValid(`+1${area}${exchange}4321`)) continue;
      for (let line = 1000; line < 1000 + 200 * 37 && numbers.length < count; line += 37) {
        const number = `+1${area}${exchange}${line}`;
        if (isValid(number)) numbers.push(number);
      }
    }
  }
  return numbers;
}

function isValid(e164: string): boolean {
  try {
    return parsePhoneNumber(e164).isValid();
  } catch {
    return false;
  }
}

// --- helpers -------------------------------------------------------------------

class Inbox {
  readonly #queue: FromClient[] = [];
  #wake: (() => void) | undefined;
  #exited = false;

  constructor(child: ChildProcess) {
    child.on("message", (message: FromClient) => {
      this.#queue.push(message);
      this.#wake?.();
    });
    child.on("exit", () => {
      this.#exited = true;
      this.#wake?.();
    });
  }

  async next<T extends FromClient["type"]>(type: T): Promise<Extract<FromClient, { type: T }>> {
    for (;;) {
      const index = this.#queue.findIndex((message) => message.type === type);
      if (index >= 0) return this.#queue.splice(index, 1)[0] as Extract<FromClient, { type: T }>;
      if (this.#exited) throw new Error(`the load client exited while waiting for "${type}"`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (fraction: number) => `${fraction >= 0 ? "+" : ""}${(fraction * 100).toFixed(1)}%`;
const log = (line: string) => console.log(line);
