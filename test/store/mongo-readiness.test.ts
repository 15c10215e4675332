/**
 * Readiness and logging of the MongoDB store while its server stops and
 * returns: ready() follows the driver's view of the server within a second
 * (issue 10: it used to take the 2–3 s of a failing ping), and each
 * repeating failure (heartbeats, the event feed's polls, the purge loop) is
 * logged once per outage, then once more with its count when it ends.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MongoStore } from "../../src/store/mongo/mongo-store.js";
import type { Logger } from "../../src/verification/ports.js";
import { eventually } from "../support/eventually.js";
import { type MongoTestServer, mongoServerAvailability, startMongoServer } from "../support/ferretdb.js";
import { makeRecord } from "./store-contract.js";

const availability = mongoServerAvailability();
// Stopping the server is only possible with the one the tests start themselves.
const canStopServer = availability.available && !process.env.MONGODB_URI;

interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  fields: Record<string, unknown>;
  message: string;
}

function capturingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine["level"]) => (fields: object, message?: string) =>
    void lines.push({ level, fields: fields as Record<string, unknown>, message: message ?? "" });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** How long `condition` took to hold, polled every 20 ms. */
async function timeUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await eventually(async () => expect(await condition()).toBe(true), { timeoutMs, intervalMs: 20 });
  return Date.now() - started;
}

describe.skipIf(!canStopServer)("MongoStore readiness while the database stops and returns", () => {
  let server: MongoTestServer;

  beforeAll(async () => {
    server = await startMongoServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("turns not ready within a second of the server stopping, logs each repeating failure once with a count, and recovers", { timeout: 30_000 }, async () => {
    const logger = capturingLogger();
    const store = new MongoStore({
      uri: server.uri,
      database: server.uniqueDatabase("readiness"),
      retentionMs: 60_000,
      eventPollIntervalMs: 50,
      // FerretDB has no TTL indexes, so the purge loop runs, and fails every round while the server is away.
      purgeIntervalMs: 200,
      timeouts: { serverSelectionMs: 1_000, connectMs: 1_000, operationMs: 2_000 },
      logger,
    });
    try {
      await store.start();
      expect(await store.ready()).toBe(true);
      // A watched verification keeps the event feed polling.
      const record = makeRecord();
      await store.insert(record);
      const unsubscribe = store.subscribe(record.id, () => undefined);

      await server.stop({ hard: true });
      const notReadyAfter = await timeUntil(async () => !(await store.ready()), 5_000);
      // Long enough for every loop to fail many times over.
      await sleep(3_000);
      const duringOutage = logger.lines.length;
      await server.restart();
      const readyAfter = await timeUntil(() => store.ready(), 10_000);
      // The feed and the purge loop succeed on their next rounds.
      await eventually(() => expect(recoveries(logger.lines).map((line) => line.fields.outage)).toEqual(expect.arrayContaining(["event feed", "purge"])), {
        timeoutMs: 5_000,
      });
      unsubscribe();

      console.info(`readiness: not ready ${notReadyAfter} ms after the server stopped, ready ${readyAfter} ms after it restarted`);
      expect(notReadyAfter).toBeLessThan(1_500);
      expect(readyAfter).toBeLessThan(5_000);
      expect(duringOutage).toBeGreaterThan(0);

      const outages = ["database server", "event feed", "purge"];
      const warnings = logger.lines.filter((line) => line.level === "warn");
      for (const subject of outages) {
        const started = warnings.filter((line) => String(line.fields.outage).startsWith(subject));
        const ended = recoveries(logger.lines).filter((line) => String(line.fields.outage).startsWith(subject));
        const repeats = logger.lines.filter((line) => line.level === "debug" && String(line.fields.outage).startsWith(subject));
        expect(started, `${subject}: one warning per outage`).toHaveLength(1);
        expect(ended, `${subject}: one recovery line`).toHaveLength(1);
        expect(repeats.length, `${subject}: the repeats are counted, not warned about`).toBeGreaterThan(0);
        expect(ended[0]!.fields.failures).toBe(repeats.length + 1);
        expect(ended[0]!.fields.durationMs).toBeGreaterThan(1_000);
        expect(ended[0]!.message).toMatch(/recovered after \d+ failures in \d+\.\d s/);
      }
      expect(warnings.filter((line) => !outages.some((subject) => String(line.fields.outage).startsWith(subject)))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  // With no operation of ours to fail, only the driver's heartbeat can notice; it used to check every 10 s.
  it("turns not ready within a second on an idle store too: the heartbeat notices", { timeout: 30_000 }, async () => {
    const logger = capturingLogger();
    const store = new MongoStore({ uri: server.uri, database: server.uniqueDatabase("idle"), retentionMs: 60_000, purgeIntervalMs: 0, logger });
    try {
      await store.start();
      expect(await store.ready()).toBe(true);

      await server.stop({ hard: true });
      const notReadyAfter = await timeUntil(async () => !(await store.ready()), 5_000);
      await server.restart();
      const readyAfter = await timeUntil(() => store.ready(), 10_000);

      console.info(`idle store: not ready ${notReadyAfter} ms after the server stopped, ready ${readyAfter} ms after it restarted`);
      expect(notReadyAfter).toBeLessThan(1_500);
      expect(readyAfter).toBeLessThan(5_000);
      await eventually(() => expect(recoveries(logger.lines)).toHaveLength(1));
      expect(logger.lines.filter((line) => line.level === "warn").map((line) => line.message)).toEqual([
        expect.stringMatching(/^database server 127\.0\.0\.1:\d+ unreachable/),
      ]);
    } finally {
      await store.close();
    }
  });
});

function recoveries(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => line.level === "info" && line.fields.outage !== undefined);
}
