/**
 * Two verifyd processes on one database: what one starts, the other checks,
 * watches and takes over; races between them settle exactly once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ConnectError } from "@connectrpc/connect";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttemptStatus, EventType, VerificationStatus, type WatchResponse } from "../../gen/verify/v1/verify_pb.js";
import { eventually } from "../support/eventually.js";
import { type MongoTestServer, mongoServerAvailability, startMongoServer } from "../support/ferretdb.js";
import { codeFromBody } from "../support/outbox.js";
import { type Cluster, numberFactory, startCluster, type VerifydInstance } from "./cluster.js";

const availability = mongoServerAvailability();

/** Collects a Watch stream until it ends. */
async function collect(stream: AsyncIterable<WatchResponse>): Promise<Array<{ type: EventType; sequence: number; status: VerificationStatus | undefined }>> {
  const seen = [];
  for await (const response of stream) {
    const event = response.event!;
    seen.push({ type: event.type, sequence: Number(event.sequence), status: event.verification?.status });
  }
  return seen;
}

describe.skipIf(!availability.available)("two verifyd instances sharing one database", () => {
  let server: MongoTestServer;
  let cluster: Cluster;
  let a: VerifydInstance;
  let b: VerifydInstance;
  const nextNumber = numberFactory("+1303555");

  beforeAll(async () => {
    server = await startMongoServer();
    cluster = await startCluster(["a", "b"], { mongoUri: server.uri, database: server.uniqueDatabase("shared") });
    [a, b] = cluster.instances as [VerifydInstance, VerifydInstance];
  });
  afterAll(async () => {
    await cluster?.stop();
    await server?.close();
  });

  it("checks on B the code of a verification started on A", async () => {
    const phoneNumber = nextNumber();
    const { verification } = await a.client.start({ phoneNumber });
    const [message] = await a.waitForOutbox(phoneNumber, 1);
    const checked = await b.client.check({ verificationId: verification!.id, code: codeFromBody(message!.body) });
    expect(checked.approved).toBe(true);
    expect(checked.verification?.status).toBe(VerificationStatus.VERIFIED);
    expect((await a.client.get({ verificationId: verification!.id })).verification?.status).toBe(VerificationStatus.VERIFIED);
  });

  it("streams on B, in order, the events that happen on A", async () => {
    const phoneNumber = nextNumber();
    const { verification } = await a.client.start({ phoneNumber });
    const id = verification!.id;
    const watched = collect(b.client.watch({ verificationId: id }));
    // sim-a's DELIVERED receipt reaches A after 200 ms; then a wrong and a right code, both on A.
    await sleep(600);
    const code = codeFromBody((await a.waitForOutbox(phoneNumber, 1))[0]!.body);
    await a.client.check({ verificationId: id, code: code === "000000" ? "111111" : "000000" });
    expect((await a.client.check({ verificationId: id, code })).approved).toBe(true);
    const events = await watched;
    expect(events[0]?.type).toBe(EventType.SNAPSHOT);
    const live = events.slice(1);
    expect(live.map((event) => event.type)).toEqual([EventType.DELIVERED, EventType.CHECK_FAILED, EventType.VERIFIED]);
    // Each event once, in sequence, right after the snapshot's.
    expect(live.map((event) => event.sequence)).toEqual([1, 2, 3].map((n) => events[0]!.sequence + n));
    expect(live.at(-1)?.status).toBe(VerificationStatus.VERIFIED);
  });

  it("resumes a Watch on B after the last sequence seen on A, replaying what came since", async () => {
    const phoneNumber = nextNumber();
    const { verification } = await a.client.start({ phoneNumber });
    const id = verification!.id;
    const first = a.client.watch({ verificationId: id })[Symbol.asyncIterator]();
    const snapshot = (await first.next()).value as WatchResponse;
    await first.return?.();
    // While nobody watches: delivered, then verified.
    const code = codeFromBody((await a.waitForOutbox(phoneNumber, 1))[0]!.body);
    await sleep(400);
    await a.client.check({ verificationId: id, code });
    const resumed = await collect(b.client.watch({ verificationId: id, afterSequence: snapshot.event!.sequence }));
    expect(resumed.map((event) => event.type)).toEqual([EventType.DELIVERED, EventType.VERIFIED]);
    expect(resumed.map((event) => event.sequence)).toEqual([1, 2].map((n) => Number(snapshot.event!.sequence) + n));
  });

  it("approves exactly once when the right code reaches both instances at the same time", async () => {
    const phoneNumber = nextNumber();
    const { verification } = await a.client.start({ phoneNumber });
    const code = codeFromBody((await a.waitForOutbox(phoneNumber, 1))[0]!.body);
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 ? b : a).client.check({ verificationId: verification!.id, code })));
    expect(results.filter((result) => result.approved)).toHaveLength(1);
    for (const result of results) expect(result.verification?.status).toBe(VerificationStatus.VERIFIED);
  });

  it("never counts more than max_check_attempts out of 50 concurrent wrong codes spread over both instances", async () => {
    const phoneNumber = nextNumber();
    const { verification } = await a.client.start({ phoneNumber });
    const id = verification!.id;
    const code = codeFromBody((await a.waitForOutbox(phoneNumber, 1))[0]!.body);
    const wrong = code === "999999" ? "999998" : "999999";
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, index) => (index % 2 ? b : a).client.check({ verificationId: id, code: wrong })));
    const answered = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const failures = results.flatMap((result) => (result.status === "rejected" ? [ConnectError.from(result.reason).message] : []));
    expect(failures).toEqual([]);
    expect(answered.every((result) => !result.approved)).toBe(true);
    const final = (await b.client.get({ verificationId: id })).verification!;
    expect(final.status).toBe(VerificationStatus.LOCKED);
    expect(final.checkAttemptsRemaining).toBe(0);
    // The stored history: exactly four CHECK_FAILED and one LOCKED (max_check_attempts is 5), whoever counted them.
    const history = await collect(a.client.watch({ verificationId: id, afterSequence: 1n }));
    const counted = history.filter((event) => event.type === EventType.CHECK_FAILED || event.type === EventType.LOCKED);
    expect(counted.map((event) => event.type)).toEqual([...Array(4).fill(EventType.CHECK_FAILED), EventType.LOCKED]);
    // Locked means locked, even for the right code.
    expect((await b.client.check({ verificationId: id, code })).approved).toBe(false);
  });
});

describe.skipIf(!availability.available)("an instance killed with SIGKILL", () => {
  let server: MongoTestServer;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    server = await startMongoServer();
  });
  afterAll(async () => {
    await cluster?.stop();
    await server?.close();
  });

  it("leaves its delivery window to the other instance, which resends the same code through the next provider", async () => {
    cluster = await startCluster(["a", "b"], { mongoUri: server.uri, database: server.uniqueDatabase("takeover"), deliveryWindow: "1500ms" });
    const [a, b] = cluster.instances as [VerifydInstance, VerifydInstance];
    // +1202555012x: sim-a accepts and drops the message, so the verification waits out its delivery window.
    const phoneNumber = "+12025550121";
    const { verification } = await a.client.start({ phoneNumber });
    const id = verification!.id;
    expect(verification?.status).toBe(VerificationStatus.SUBMITTED);
    const [sent] = await a.waitForOutbox(phoneNumber, 1);
    await a.kill();

    // B finds the window over, marks sim-a's attempt timed out and sends the same code through sim-b.
    const [resent] = await b.waitForOutbox(phoneNumber, 1, 10_000);
    expect(resent?.provider).toBe("sim-b");
    expect(codeFromBody(resent!.body)).toBe(codeFromBody(sent!.body));
    // The outbox has the message as soon as sim-b accepted it; B records the acceptance right after.
    await eventually(async () => {
      const { verification } = await b.client.get({ verificationId: id });
      expect(verification!.attempts.map((attempt) => [attempt.provider, attempt.status])).toEqual([
        ["sim-a", AttemptStatus.TIMED_OUT],
        ["sim-b", expect.toBeOneOf([AttemptStatus.SUBMITTED, AttemptStatus.DELIVERED])],
      ]);
    });
    expect((await b.client.check({ verificationId: id, code: codeFromBody(resent!.body) })).approved).toBe(true);
    await cluster.stop();
    cluster = undefined;
  });

  it("in the middle of a send leaves a lease that lapses, and the other instance sends again with the same attempt key", async () => {
    const database = server.uniqueDatabase("midsend");
    cluster = await startCluster(["a", "b"], {
      mongoUri: server.uri,
      database,
      lease: "1s",
      // +1202555019x: sim-a takes 2 s to accept, long enough to die in the middle.
      simARules: [{ match: "+1202555019*", outcome: "deliver", latency_ms: 2000, dlr_delay_ms: 100 }],
    });
    const [a, b] = cluster.instances as [VerifydInstance, VerifydInstance];
    const phoneNumber = "+12025550191";
    const starting = a.client.start({ phoneNumber }).catch((error: unknown) => error);
    // A records the attempt (and its lease) before calling sim-a; wait for that record, then kill A mid-call.
    const id = await storedVerificationFor(server.uri, database, phoneNumber);
    await a.kill();
    expect(await starting).toBeInstanceOf(ConnectError);

    // After the lease B resumes the attempt that was in flight: same provider, same idempotency key.
    const [sent] = await b.waitForOutbox(phoneNumber, 1, 15_000);
    expect(sent?.provider).toBe("sim-a");
    const attempts = (await b.client.get({ verificationId: id })).verification!.attempts;
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.idempotencyKey).toBe(`${id}-attempt-1`);
    expect(attempts[0]?.provider).toBe("sim-a");
    expect((await b.client.check({ verificationId: id, code: codeFromBody(sent!.body) })).approved).toBe(true);
  });
});

/** Polls the database for the verification of `phoneNumber`, as written by whichever instance. */
async function storedVerificationFor(uri: string, database: string, phoneNumber: string): Promise<string> {
  const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 }).connect();
  try {
    return await eventually(
      async () => {
        const found = await client.db(database).collection<{ _id: string }>("verifications").findOne({ phoneNumber });
        expect(found, `a stored verification for ${phoneNumber}`).not.toBeNull();
        return found!._id;
      },
      { timeoutMs: 10_000 },
    );
  } finally {
    await client.close();
  }
}
