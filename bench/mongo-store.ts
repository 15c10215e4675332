/**
 * Start + Check throughput with the MongoDB store, next to the raw driver
 * performing the same database operations, in one run against the same
 * server; and the operations each Start and Check costs.
 *
 *   npx tsx bench/mongo-store.ts                         # FerretDB, started here as the MongoDB suites do
 *   MONGODB_URI=mongodb://host:27017 npx tsx bench/mongo-store.ts
 *   npx tsx bench/mongo-store.ts --json                  # the results as one JSON object (for bench/run.ts)
 *
 * Knobs (environment): BENCH_DURATION_MS (5000), BENCH_WARMUP_MS (1000),
 * BENCH_CONCURRENCY (4). verifyd runs in-process (the domain called
 * directly, no RPC stack, so the comparison is about the store) with one
 * simulated provider that accepts and never sends a receipt, so a Start and
 * its Check are all the database sees. The throughput phases use
 * write_mode "conditional", what MongoDB gets; on FerretDB the fenced mode's
 * cost is measured too. Target: verifyd at least 0.7 of the raw driver's
 * Start+Check rate; Start at most 2 writes and Check 1 (to `verifications`).
 */
import type { CommandStartedEvent, Document, UpdateFilter } from "mongodb";
import { MongoClient } from "mongodb";
import { parseConfig } from "../src/config/load-config.js";
import type { SimulatorProvider } from "../src/providers/simulator/simulator.js";
import { type App, startApp } from "../src/server/app.js";
import type { MongoStore } from "../src/store/mongo/mongo-store.js";
import { createLogger } from "../src/telemetry/logger.js";
import { startMongoServer } from "../test/support/ferretdb.js";
import { phonePool } from "./shared.js";

const env = process.env;
const settings = {
  durationMs: Number(env.BENCH_DURATION_MS ?? 5_000),
  warmupMs: Number(env.BENCH_WARMUP_MS ?? 1_000),
  concurrency: Number(env.BENCH_CONCURRENCY ?? 4),
};
const TARGET_RATIO = 0.7;
const WRITE_COMMANDS = new Set(["insert", "update", "findAndModify", "delete"]);

interface OperationCount {
  /** "<command> <collection>", e.g. "update verifications". */
  operations: Record<string, number>;
  verificationWrites: number;
  allWrites: number;
}

interface Results {
  server: string;
  concurrency: number;
  durationMs: number;
  verifydPairsPerSecond: number;
  rawPairsPerSecond: number;
  ratio: number;
  start: OperationCount;
  check: OperationCount;
  fenced?: { pairsPerSecond: number; start: OperationCount; check: OperationCount };
}

async function main(): Promise<void> {
  const json = process.argv.includes("--json");
  const server = await startMongoServer();
  const numbers = phonePool(200_000);
  let nextNumber = 0;
  const takeNumber = () => numbers[nextNumber++ % numbers.length]!;
  try {
    const withMonitoring = `${server.uri}${server.uri.includes("?") ? "&" : "?"}monitorCommands=true`;
    const verifyd = await startVerifyd(withMonitoring, server.uniqueDatabase("bench_verifyd"), "conditional");
    const start = await countOperations(verifyd, takeNumber, "start");
    const check = await countOperations(verifyd, takeNumber, "check");
    const serverName = await describeServer(verifyd);
    const raw = await RawDriver.open(server.uri, server.uniqueDatabase("bench_raw"));
    // Alternating slices, so both sides meet the server (and their collections) in the same state.
    const [verifydRate, rawRate] = await measureAlternating(
      (deadline) => verifydLoop(verifyd, takeNumber, deadline),
      (deadline) => raw.loop(takeNumber, deadline),
    );
    await verifyd.app.close();
    await raw.close();

    const results: Results = {
      server: serverName,
      concurrency: settings.concurrency,
      durationMs: settings.durationMs,
      verifydPairsPerSecond: verifydRate,
      rawPairsPerSecond: rawRate,
      ratio: verifydRate / rawRate,
      start,
      check,
    };
    if (serverName.startsWith("FerretDB")) {
      const fenced = await startVerifyd(withMonitoring, server.uniqueDatabase("bench_fenced"), "fenced");
      results.fenced = {
        start: await countOperations(fenced, takeNumber, "start"),
        check: await countOperations(fenced, takeNumber, "check"),
        pairsPerSecond: await measure((deadline) => verifydLoop(fenced, takeNumber, deadline)),
      };
      await fenced.app.close();
    }
    console.log(json ? JSON.stringify(results) : report(results));
  } finally {
    await server.close();
  }
}

// --- verifyd -------------------------------------------------------------------

interface Verifyd {
  app: App;
  simulator: SimulatorProvider;
  commands: CommandStartedEvent[];
}

async function startVerifyd(uri: string, database: string, writeMode: "conditional" | "fenced"): Promise<Verifyd> {
  const config = parseConfig(
    `
server: { port: 0, host: 127.0.0.1 }
store: { type: mongodb, uri: "${uri}", database: ${database}, write_mode: ${writeMode}, timeouts: { operation: 30s } }
security: { code_hmac_key: "bench-only-hmac-key-not-a-secret-0123456789" }
log: { level: silent }
policy: { code_ttl: 10m, delivery_window: 10m }
rate_limits: { per_phone: { limit: 1000, window: 10m } }
# Nothing falls due during the run: the timer loop's idle poll (a full scan on FerretDB, which uses no index for ranges)
# is not part of a Start or a Check, so it is kept out of the figures.
timers: { poll_interval: 1h }
providers:
  - name: sim
    type: simulator
    channels: [sms]
    simulate: { default: { outcome: drop }, outbox_limit: 2000 }
routing: { default: [sim] }
`,
    {},
    "bench config",
  );
  const app = await startApp(config, { logger: createLogger("silent") });
  const store = app.store as MongoStore;
  const commands: CommandStartedEvent[] = [];
  store.client.on("commandStarted", (event) => commands.push(event));
  return { app, simulator: app.providers.get("sim") as SimulatorProvider, commands };
}

async function startAndCheck(verifyd: Verifyd, phoneNumber: string): Promise<void> {
  const { id } = await verifyd.app.service.start({ phoneNumber });
  const message = verifyd.simulator.outbox(phoneNumber).at(-1)!;
  const code = /\b(\d{6})\b/.exec(message.body)![1]!;
  const { approved } = await verifyd.app.service.check(id, code);
  if (!approved) throw new Error(`the code sent to ${phoneNumber} was not approved`);
}

async function verifydLoop(verifyd: Verifyd, takeNumber: () => string, deadline: number): Promise<number> {
  verifyd.commands.length = 0;
  let pairs = 0;
  while (Date.now() < deadline) {
    await startAndCheck(verifyd, takeNumber());
    pairs++;
  }
  // Nobody reads these during the timed phases.
  verifyd.commands.length = 0;
  return pairs;
}

/** The database operations of one Start or one Check, averaged over 20, one at a time. */
async function countOperations(verifyd: Verifyd, takeNumber: () => string, which: "start" | "check"): Promise<OperationCount> {
  const rounds = 20;
  const operations: Record<string, number> = {};
  // Let the timer loop's idle polls out of the count: they are not the request's.
  const isRequestOperation = (event: CommandStartedEvent) =>
    !(event.commandName === "findAndModify" && (event.command as { query?: { wakeAt?: unknown } }).query?.wakeAt);
  for (let round = 0; round < rounds; round++) {
    const phoneNumber = takeNumber();
    verifyd.commands.length = 0;
    const { id } = await verifyd.app.service.start({ phoneNumber });
    const startCommands = verifyd.commands.splice(0);
    const code = /\b(\d{6})\b/.exec(verifyd.simulator.outbox(phoneNumber).at(-1)!.body)![1]!;
    await verifyd.app.service.check(id, code);
    const checkCommands = verifyd.commands.splice(0);
    for (const event of (which === "start" ? startCommands : checkCommands).filter(isRequestOperation)) {
      const collection = String((event.command as Record<string, unknown>)[event.commandName]);
      const key = `${event.commandName} ${collection}`;
      operations[key] = (operations[key] ?? 0) + 1;
    }
  }
  for (const key of Object.keys(operations)) operations[key] = operations[key]! / rounds;
  const writes = (filter: (collection: string) => boolean) =>
    Object.entries(operations)
      .filter(([key]) => WRITE_COMMANDS.has(key.split(" ")[0]!) && filter(key.split(" ")[1]!))
      .reduce((sum, [, count]) => sum + count, 0);
  return { operations, verificationWrites: writes((collection) => collection === "verifications"), allWrites: writes(() => true) };
}

async function describeServer(verifyd: Verifyd): Promise<string> {
  const buildInfo = await (verifyd.app.store as MongoStore).db.command({ buildInfo: 1 });
  return typeof buildInfo.ferretdbVersion === "string" ? `FerretDB ${buildInfo.ferretdbVersion} (SQLite)` : `MongoDB ${buildInfo.version}`;
}

// --- the raw driver ----------------------------------------------------------------

/**
 * The operations verifyd's Start and Check make (see the counts printed),
 * written by hand against the driver: the rate-limit counter, the active
 * number lookup, the insert, the reads around the send and the conditional
 * updates, with documents of the same shape and size.
 */
class RawDriver {
  private constructor(
    private readonly client: MongoClient,
    private readonly database: string,
  ) {}

  static async open(uri: string, database: string): Promise<RawDriver> {
    const client = await new MongoClient(uri, { writeConcern: { w: "majority" }, ignoreUndefined: true, retryWrites: true }).connect();
    const raw = new RawDriver(client, database);
    const verifications = client.db(database).collection("verifications");
    await verifications.createIndex({ activePhoneNumber: 1 }, { unique: true, sparse: true });
    await verifications.createIndex({ idempotencyKey: 1 }, { unique: true, sparse: true });
    await verifications.createIndex({ wakeAt: 1 }, { sparse: true });
    await client.db(database).collection("rate_limits").createIndex({ key: 1 }, { unique: true });
    return raw;
  }

  async loop(takeNumber: () => string, deadline: number): Promise<number> {
    let pairs = 0;
    while (Date.now() < deadline) {
      await this.startAndCheck(takeNumber());
      pairs++;
    }
    return pairs;
  }

  async startAndCheck(phoneNumber: string): Promise<void> {
    const db = this.client.db(this.database);
    // Loosely typed: the raw side writes the same shapes without the store's types.
    const verifications = db.collection<RawDocument>("verifications");
    const now = Date.now();
    // Start: the per-number send counter, as RateLimiterMongo updates it.
    await db
      .collection("rate_limits")
      .findOneAndUpdate(
        { $or: [{ expire: { $gt: new Date() } }, { expire: { $eq: null } }], key: `sends-per-phone:${phoneNumber}` },
        { $setOnInsert: { key: `sends-per-phone:${phoneNumber}`, expire: new Date(now + 600_000) }, $inc: { points: 1 } },
        { upsert: true, returnDocument: "after" },
      );
    await verifications.findOne({ activePhoneNumber: phoneNumber }, { projection: { events: 0 } });
    const id = `ver_${Math.random().toString(36).slice(2)}${now.toString(36)}`;
    const document = sampleDocument(id, phoneNumber, now);
    await verifications.insertOne({ ...document, events: [] });
    // Read before the send and again to apply its answer.
    await verifications.findOne({ _id: id }, { projection: { events: 0 } });
    await verifications.findOne({ _id: id }, { projection: { events: 0 } });
    const submitted = { ...document, status: "submitted", version: 1, sequence: 1, lastSendAt: now, dueAt: now + 600_000, wakeAt: now + 600_000 };
    const { _id: _ignored, lease: _lease, ...set } = submitted as Record<string, unknown>;
    await verifications.updateOne(
      { _id: id, version: 0 },
      asUpdate({
        $set: set,
        $unset: { lease: "" },
        $push: { events: { $each: [{ sequence: 1, type: "submitted", at: now, verification: snapshotOf(submitted) }], $slice: -64 } },
      }),
    );
    // Check: read, then the conditional update that approves.
    await verifications.findOne({ _id: id }, { projection: { events: 0 } });
    const { sealedCode: _sealed, activePhoneNumber: _active, dueAt: _due, wakeAt: _wake, ...kept } = set;
    const verified = { ...kept, status: "verified", version: 2, sequence: 2, verifiedAt: now };
    await verifications.updateOne(
      { _id: id, version: 1 },
      asUpdate({
        $set: verified,
        $unset: { sealedCode: "", activePhoneNumber: "", dueAt: "", wakeAt: "" },
        $push: { events: { $each: [{ sequence: 2, type: "verified", at: now, verification: snapshotOf(verified) }], $slice: -64 } },
      }),
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

type RawDocument = { _id: string } & Document;

function asUpdate(update: Record<string, unknown>): UpdateFilter<RawDocument> {
  return update as UpdateFilter<RawDocument>;
}

function sampleDocument(id: string, phoneNumber: string, now: number): Record<string, unknown> & { _id: string } {
  return {
    _id: id,
    phoneNumber,
    country: "US",
    channel: "sms",
    status: "pending",
    attempts: [{ number: 1, provider: "sim", channel: "sms", status: "sending", idempotencyKey: `${id}-attempt-1`, startedAt: now }],
    createdAt: now,
    updatedAt: now,
    expiresAt: now + 600_000,
    checkAttemptsRemaining: 5,
    fallbackChannels: [],
    codeLength: 6,
    codeHash: "x".repeat(43),
    sealedCode: "y".repeat(60),
    locale: "en",
    metadata: [],
    requestFingerprint: "z".repeat(22),
    dueAt: now + 30_000,
    lease: { owner: "bench-host-1234-abcdef", until: now + 30_000 },
    sequence: 0,
    version: 0,
    activePhoneNumber: phoneNumber,
    wakeAt: now + 30_000,
    providerMessageKeys: [],
    purgeAt: new Date(now + 86_400_000),
  };
}

function snapshotOf(document: Record<string, unknown>): Record<string, unknown> {
  const { codeHash: _hash, sealedCode: _sealed, activePhoneNumber: _active, wakeAt: _wake, providerMessageKeys: _keys, purgeAt: _purge, ...snapshot } = document;
  return snapshot;
}

// --- measuring and reporting ---------------------------------------------------------

/** Start+Check pairs per second over BENCH_DURATION_MS, after a warm-up, with BENCH_CONCURRENCY loops. */
async function measure(loop: (deadline: number) => Promise<number>): Promise<number> {
  await runFor(loop, settings.warmupMs);
  const { pairs, seconds } = await runFor(loop, settings.durationMs);
  return pairs / seconds;
}

/** Like measure, for two sides taking turns in one-second slices; BENCH_DURATION_MS each. */
async function measureAlternating(first: (deadline: number) => Promise<number>, second: (deadline: number) => Promise<number>): Promise<[number, number]> {
  await runFor(first, settings.warmupMs / 2);
  await runFor(second, settings.warmupMs / 2);
  const totals = [
    { pairs: 0, seconds: 0 },
    { pairs: 0, seconds: 0 },
  ];
  const slices = Math.max(1, Math.round(settings.durationMs / 1_000));
  for (let slice = 0; slice < slices; slice++) {
    for (const [index, loop] of [first, second].entries()) {
      const { pairs, seconds } = await runFor(loop, settings.durationMs / slices);
      totals[index]!.pairs += pairs;
      totals[index]!.seconds += seconds;
    }
  }
  return [totals[0]!.pairs / totals[0]!.seconds, totals[1]!.pairs / totals[1]!.seconds];
}

async function runFor(loop: (deadline: number) => Promise<number>, durationMs: number): Promise<{ pairs: number; seconds: number }> {
  const started = Date.now();
  const counts = await Promise.all(Array.from({ length: settings.concurrency }, () => loop(started + durationMs)));
  return { pairs: counts.reduce((sum, count) => sum + count, 0), seconds: (Date.now() - started) / 1000 };
}

function report(results: Results): string {
  const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
  const operations = (count: OperationCount) =>
    Object.entries(count.operations)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => `${key} ×${Number(value.toFixed(2))}`)
      .join(", ");
  const lines = [
    `## MongoDB store (${results.server}; ${results.concurrency} concurrent loops, ${results.durationMs / 1000} s)`,
    "",
    "| | Start+Check pairs/s |",
    "| --- | ---: |",
    `| verifyd (MongoStore, write_mode conditional) | ${results.verifydPairsPerSecond.toFixed(0)} |`,
    `| raw driver, same operations | ${results.rawPairsPerSecond.toFixed(0)} |`,
    `| ratio (target ≥ ${TARGET_RATIO}) | ${results.ratio.toFixed(2)} ${verdict(results.ratio >= TARGET_RATIO)} |`,
    "",
    `Writes to verifications per Start: ${results.start.verificationWrites} (target ≤ 2: ${verdict(results.start.verificationWrites <= 2)}); all writes ${results.start.allWrites}. Operations: ${operations(results.start)}.`,
    `Writes to verifications per Check: ${results.check.verificationWrites} (target 1: ${verdict(results.check.verificationWrites === 1)}); all writes ${results.check.allWrites}. Operations: ${operations(results.check)}.`,
  ];
  if (results.fenced) {
    lines.push(
      "",
      `Fenced writes (write_mode auto on FerretDB, whose filtered updates are not atomic): ${results.fenced.pairsPerSecond.toFixed(0)} pairs/s; ` +
        `Start ${results.fenced.start.allWrites} writes (${operations(results.fenced.start)}), Check ${results.fenced.check.allWrites} (${operations(results.fenced.check)}).`,
    );
  }
  return lines.join("\n");
}

await main();
