/**
 * The database goes away in the middle of traffic and comes back: requests
 * answer UNAVAILABLE meanwhile, readiness turns false, and afterwards the
 * same processes serve again; nothing acknowledged is lost, nothing approved
 * twice. Readiness follows the driver's view of the server, so it turns
 * within about a heartbeat (issue 10: it took 2–3 s), and the database's
 * unreachability is logged once per outage and instance, with a recovery
 * line that counts the failed heartbeats.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { eventually } from "../support/eventually.js";
import { type MongoTestServer, mongoServerAvailability, startMongoServer } from "../support/ferretdb.js";
import { codeFromBody } from "../support/outbox.js";
import { type Cluster, numberFactory, startCluster, type VerifydInstance } from "./cluster.js";

const availability = mongoServerAvailability();
// Stopping the server is only possible with the one the tests start themselves.
const canStopServer = availability.available && !process.env.MONGODB_URI;

/** The JSON log lines an instance wrote. */
function logLines(instance: VerifydInstance): Array<Record<string, unknown>> {
  return instance
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** pino's numeric levels. */
const WARN = 40;
const INFO = 30;

/** Waits until `condition` holds, and returns how long that took. */
async function waitUntil(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await eventually(async () => expect(await condition(), what).toBe(true), { timeoutMs, intervalMs: 100 });
  return Date.now() - started;
}

describe.skipIf(!canStopServer)("the database stopped and restarted during a load run", () => {
  let server: MongoTestServer;
  let cluster: Cluster;
  let a: VerifydInstance;
  let b: VerifydInstance;

  beforeAll(async () => {
    server = await startMongoServer();
    cluster = await startCluster(["a", "b"], { mongoUri: server.uri, database: server.uniqueDatabase("outage") });
    [a, b] = cluster.instances as [VerifydInstance, VerifydInstance];
  });
  afterAll(async () => {
    await cluster?.stop();
    await server?.close();
  });

  it("loses no acknowledged verification, approves none twice, and recovers without a restart", { timeout: 90_000 }, async () => {
    const nextNumber = numberFactory("+1303556");
    const acknowledged = new Map<string, { phoneNumber: string; startedOn: VerifydInstance }>();
    const approvals = new Map<string, number>();
    const failures: string[] = [];
    let unavailable = 0;
    let running = true;

    /** One user: Start on one instance, read the SMS, Check on the other, until told the answer. */
    const user = async (index: number) => {
      for (let round = 0; running; round++) {
        const [first, second] = (index + round) % 2 ? [a, b] : [b, a];
        const phoneNumber = nextNumber();
        let id: string;
        try {
          id = (await first.client.start({ phoneNumber })).verification!.id;
        } catch (error) {
          const connectError = ConnectError.from(error);
          if (connectError.code === Code.Unavailable) unavailable++;
          else failures.push(`Start: ${connectError.message}`);
          await sleep(50);
          continue;
        }
        acknowledged.set(id, { phoneNumber, startedOn: first });
        const code = codeFromBody((await first.waitForOutbox(phoneNumber, 1, 30_000))[0]!.body);
        // Retried while the database is away; a Check whose answer was lost may already have approved.
        for (;;) {
          try {
            const { approved } = await second.client.check({ verificationId: id, code });
            if (approved) approvals.set(id, (approvals.get(id) ?? 0) + 1);
            break;
          } catch (error) {
            const connectError = ConnectError.from(error);
            if (connectError.code === Code.Unavailable) unavailable++;
            else failures.push(`Check: ${connectError.message}`);
            await sleep(100);
          }
        }
      }
    };

    const users = Array.from({ length: 6 }, (_, index) => user(index));
    await sleep(1_500);
    const beforeOutage = acknowledged.size;

    await server.stop({ hard: true });
    const notReadyAfter = await waitUntil("both instances report not ready", async () => (await a.readyz()) === 503 && (await b.readyz()) === 503, 15_000);
    await sleep(2_000);

    await server.restart();
    const readyAfter = await waitUntil("both instances report ready again", async () => (await a.readyz()) === 200 && (await b.readyz()) === 200, 30_000);
    const afterRecovery = acknowledged.size;
    await sleep(2_000);
    running = false;
    await Promise.all(users);

    // While the database was away every failure was UNAVAILABLE, never INTERNAL.
    expect(failures).toEqual([]);
    expect(unavailable).toBeGreaterThan(0);
    expect(beforeOutage).toBeGreaterThan(0);
    // Served again by the same processes.
    expect(acknowledged.size).toBeGreaterThan(afterRecovery);
    // Within about a heartbeat (500 ms); the margin is for a loaded 2-core machine.
    expect(notReadyAfter).toBeLessThan(1_500);
    expect(readyAfter).toBeLessThan(30_000);
    for (const instance of [a, b]) {
      const lines = logLines(instance).filter((line) => String(line.outage ?? "").startsWith("database server"));
      const warnings = lines.filter((line) => line.level === WARN);
      const recoveries = lines.filter((line) => line.level === INFO);
      expect(warnings, `${instance.name}: the database outage is logged once`).toHaveLength(1);
      expect(recoveries, `${instance.name}: and its end once, with the count`).toHaveLength(1);
      expect(recoveries[0]!.failures).toBeGreaterThan(1);
      expect(recoveries[0]!.msg).toMatch(/^database server .* recovered after \d+ failures in \d+\.\d s$/);
    }
    console.info(
      `outage run: ${acknowledged.size} verifications acknowledged (${beforeOutage} before the outage), ${unavailable} UNAVAILABLE answers, not ready after ${notReadyAfter} ms, ready again ${readyAfter} ms after the restart`,
    );

    for (const [id, { startedOn }] of acknowledged) {
      const other = startedOn === a ? b : a;
      const { verification } = await other.client.get({ verificationId: id });
      expect(verification?.id).toBe(id);
      // Every user got an answer to the right code: the verification is verified, and was approved at most once.
      expect(verification?.status).toBe(VerificationStatus.VERIFIED);
      expect(approvals.get(id) ?? 0).toBeLessThanOrEqual(1);
    }
  });

  it("starts an instance while the database is down: not ready, UNAVAILABLE, then serving once the database is up", { timeout: 60_000 }, async () => {
    await server.stop();
    const late = await startCluster(["late"], { mongoUri: server.uri, database: server.uniqueDatabase("late") });
    try {
      const [instance] = late.instances as [VerifydInstance];
      expect(await instance.readyz()).toBe(503);
      const refused = await instance.client.start({ phoneNumber: "+13035580000" }).catch((error: unknown) => ConnectError.from(error));
      expect(refused).toBeInstanceOf(ConnectError);
      expect((refused as ConnectError).code).toBe(Code.Unavailable);
      await server.restart();
      await waitUntil("the instance reports ready", async () => (await instance.readyz()) === 200, 30_000);
      const { verification } = await instance.client.start({ phoneNumber: "+13035580001" });
      expect(verification?.status).toBe(VerificationStatus.SUBMITTED);
    } finally {
      await late.stop();
    }
  });
});
