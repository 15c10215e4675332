/**
 * The contract every VerificationStore keeps, run against each store
 * (memory-store.contract.test.ts, mongo-store.contract.test.ts) so that they
 * cannot drift apart: unique keys, versioned writes, timer leases, events.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventType, VerificationEvent, VerificationRecord } from "../../src/verification/model.js";
import { DuplicateKeyError, type VerificationStore } from "../../src/verification/ports.js";
import { eventually } from "../support/eventually.js";
import { listingContract } from "./list-contract.js";

export interface StoreFixture {
  /** A store on fresh, empty data. */
  store: VerificationStore;
  /** A second instance on the same data, as another verifyd process would have; the memory store can only offer itself. */
  second: VerificationStore;
  /**
   * False where the server does not apply a filtered update atomically
   * (FerretDB v1 with write_mode "conditional"): the races below are then
   * skipped, naming the reason.
   */
  atomicWrites: boolean;
  close(): Promise<void>;
}

/** Times near the wall clock, so a server's TTL monitor never finds these records expired. */
const T0 = Date.now();

export function makeRecord(overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  const id = `ver_${randomBytes(9).toString("base64url")}`;
  return {
    id,
    phoneNumber: `+1202${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, "0")}`,
    country: "US",
    channel: "sms",
    status: "submitted",
    attempts: [],
    createdAt: T0,
    updatedAt: T0,
    expiresAt: T0 + 600_000,
    checkAttemptsRemaining: 5,
    fallbackChannels: [],
    codeLength: 6,
    codeHash: "hmac-of-the-code",
    sealedCode: "sealed-code",
    locale: "en",
    metadata: {},
    requestFingerprint: "fingerprint",
    sequence: 0,
    version: 0,
    ...overrides,
  };
}

function eventsFor(record: VerificationRecord, types: EventType[]): VerificationEvent[] {
  return types.map((type, index) => ({
    verificationId: record.id,
    sequence: record.sequence - types.length + index + 1,
    type,
    verification: record,
    at: T0 + index,
    ...(type === "submitted" ? { provider: "sim-a", attemptNumber: 1 } : {}),
  }));
}

/** Writes `types` as the next events of the stored record, as the domain does: replace, then publish. */
async function writeEvents(store: VerificationStore, id: string, types: EventType[]): Promise<VerificationRecord> {
  const current = (await store.get(id))!;
  const next = { ...current, sequence: current.sequence + types.length, updatedAt: current.updatedAt + 1 };
  const events = eventsFor(next, types);
  const stored = await store.replace(next, current.version, events);
  if (!stored) throw new Error("lost the write");
  await store.publish(events.map((event) => ({ ...event, verification: stored })));
  return stored;
}

async function duplicateField(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DuplicateKeyError);
  return (error as DuplicateKeyError).field;
}

export function storeContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`${name}: the store contract`, () => {
    let fixture: StoreFixture;
    let store: VerificationStore;

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.close();
    });

    listingContract(() => store, makeRecord);

    describe("reads", () => {
      it("returns an inserted record by id exactly as it was written", async () => {
        const record = makeRecord({
          attempts: [{ number: 1, provider: "sim-a", channel: "sms", status: "submitted", idempotencyKey: "k-1", startedAt: T0, submittedAt: T0 + 5 }],
          metadata: { plain: "1", "dotted.key": "2", $dollar: "3" },
          idempotencyKey: "idem-read",
          clientIp: "192.0.2.1",
          dueAt: T0 + 30_000,
          lease: { owner: "instance-a", until: T0 + 10_000 },
        });
        await store.insert(record);
        expect(await store.get(record.id)).toEqual(record);
      });

      it("finds an active record by phone number, by idempotency key and by a provider's message id", async () => {
        const record = makeRecord({
          idempotencyKey: "idem-find",
          attempts: [
            { number: 1, provider: "sim-a", channel: "sms", status: "rejected", idempotencyKey: "a1", startedAt: T0 },
            { number: 2, provider: "sim-b", channel: "sms", status: "submitted", idempotencyKey: "a2", startedAt: T0, providerMessageId: "msg-42" },
          ],
        });
        await store.insert(record);
        expect((await store.findActiveByPhone(record.phoneNumber))?.id).toBe(record.id);
        expect((await store.findByIdempotencyKey("idem-find"))?.id).toBe(record.id);
        expect((await store.findByProviderMessageId("sim-b", "msg-42"))?.id).toBe(record.id);
      });

      it("finds nothing for unknown ids, numbers, keys and message ids", async () => {
        await store.insert(
          makeRecord({
            attempts: [{ number: 1, provider: "sim-a", channel: "sms", status: "submitted", idempotencyKey: "x", startedAt: T0, providerMessageId: "m-1" }],
          }),
        );
        expect(await store.get("ver_unknown")).toBeUndefined();
        expect(await store.findActiveByPhone("+12025550000")).toBeUndefined();
        expect(await store.findByIdempotencyKey("no-such-key")).toBeUndefined();
        // The message id belongs to another provider.
        expect(await store.findByProviderMessageId("sim-b", "m-1")).toBeUndefined();
      });

      it("no longer finds a finished record by its phone number", async () => {
        const record = makeRecord();
        await store.insert(record);
        await store.replace({ ...record, status: "verified", sealedCode: undefined }, 0);
        expect(await store.findActiveByPhone(record.phoneNumber)).toBeUndefined();
        expect((await store.get(record.id))?.status).toBe("verified");
      });

      it("is ready", async () => {
        expect(await store.ready()).toBe(true);
      });
    });

    describe("unique keys", () => {
      it("refuses a second record with the same idempotency key, naming the key", async () => {
        await store.insert(makeRecord({ idempotencyKey: "same-key" }));
        expect(await duplicateField(store.insert(makeRecord({ idempotencyKey: "same-key" })))).toBe("idempotency_key");
      });

      it("refuses a second active record for the same phone number, naming the number", async () => {
        const first = makeRecord();
        await store.insert(first);
        expect(await duplicateField(store.insert(makeRecord({ phoneNumber: first.phoneNumber })))).toBe("active_phone_number");
      });

      it("accepts a new record for a number whose verification has finished", async () => {
        const first = makeRecord();
        await store.insert(first);
        await store.replace({ ...first, status: "expired", sealedCode: undefined }, 0);
        const second = makeRecord({ phoneNumber: first.phoneNumber });
        await store.insert(second);
        expect((await store.findActiveByPhone(first.phoneNumber))?.id).toBe(second.id);
      });

      it("accepts any number of records without an idempotency key", async () => {
        for (let i = 0; i < 3; i++) await store.insert(makeRecord());
      });

      it("frees an idempotency key once its record gives it up", async () => {
        const expired = makeRecord({ idempotencyKey: "reused-key" });
        await store.insert(expired);
        // What the domain does when a key's verification has expired: unset the key, then start anew with it.
        await store.replace({ ...expired, idempotencyKey: undefined, status: "expired", sealedCode: undefined }, 0);
        expect(await store.findByIdempotencyKey("reused-key")).toBeUndefined();
        const fresh = makeRecord({ idempotencyKey: "reused-key" });
        await store.insert(fresh);
        expect((await store.findByIdempotencyKey("reused-key"))?.id).toBe(fresh.id);
      });

      it("of concurrent inserts for one phone number, exactly one succeeds", async () => {
        const phoneNumber = makeRecord().phoneNumber;
        const results = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => (index % 2 ? fixture.second : store).insert(makeRecord({ phoneNumber }))));
        expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
        for (const result of results) {
          if (result.status === "rejected") expect(result.reason).toBeInstanceOf(DuplicateKeyError);
        }
      });
    });

    describe("versioned writes", () => {
      it("replaces a record at the expected version and stores the next version", async () => {
        const record = makeRecord();
        await store.insert(record);
        const stored = await store.replace({ ...record, status: "delivered" }, 0);
        expect(stored).toMatchObject({ id: record.id, status: "delivered", version: 1 });
        expect(await store.get(record.id)).toEqual(stored);
      });

      it("refuses a replacement made from a stale version, changing nothing", async () => {
        const record = makeRecord();
        await store.insert(record);
        await store.replace({ ...record, checkAttemptsRemaining: 4 }, 0);
        expect(await store.replace({ ...record, status: "verified" }, 0)).toBeUndefined();
        expect(await store.get(record.id)).toMatchObject({ status: "submitted", checkAttemptsRemaining: 4, version: 1 });
      });

      it("drops the optional fields a replacement no longer has", async () => {
        const record = makeRecord({ dueAt: T0 + 1_000, lease: { owner: "a", until: T0 + 2_000 }, lastSendAt: T0 });
        await store.insert(record);
        const { sealedCode: _sealed, dueAt: _due, lease: _lease, ...finished } = record;
        await store.replace({ ...finished, status: "verified", verifiedAt: T0 + 3 }, 0);
        const stored = await store.get(record.id);
        expect(stored).toEqual({ ...finished, status: "verified", verifiedAt: T0 + 3, version: 1 });
        expect(stored).not.toHaveProperty("sealedCode");
        expect(stored).not.toHaveProperty("lease");
      });

      it("refuses a replacement for a record that does not exist", async () => {
        expect(await store.replace(makeRecord(), 0)).toBeUndefined();
      });

      it("of many concurrent replacements from one version, from two instances, exactly one wins", async (context) => {
        if (!fixture.atomicWrites) context.skip("this server does not apply a filtered update atomically; the fenced write mode covers it");
        for (let round = 0; round < 5; round++) {
          const record = makeRecord();
          await store.insert(record);
          const results = await Promise.all(
            Array.from({ length: 12 }, (_, index) => (index % 2 ? fixture.second : store).replace({ ...record, checkAttemptsRemaining: index }, 0)),
          );
          const winners = results.filter((result) => result !== undefined);
          expect(winners).toHaveLength(1);
          expect((await store.get(record.id))?.checkAttemptsRemaining).toBe(winners[0]!.checkAttemptsRemaining);
        }
      });
    });

    describe("due timers", () => {
      it("claims records whose due time has passed, earliest first, up to the limit", async () => {
        const due = [3, 1, 2].map((offset) => makeRecord({ dueAt: T0 + offset * 1_000 }));
        for (const record of due) await store.insert(record);
        await store.insert(makeRecord({ dueAt: T0 + 60_000 }));
        await store.insert(makeRecord());
        const first = await store.claimDue(T0 + 10_000, "instance-a", 30_000, 2);
        expect(first.map((record) => record.dueAt)).toEqual([T0 + 1_000, T0 + 2_000]);
        const rest = await store.claimDue(T0 + 10_000, "instance-a", 30_000, 10);
        expect(rest.map((record) => record.dueAt)).toEqual([T0 + 3_000]);
      });

      it("puts its lease on what it claims, with a new version, so a write from the old version fails", async () => {
        const record = makeRecord({ dueAt: T0 + 1_000 });
        await store.insert(record);
        const [claimed] = await store.claimDue(T0 + 2_000, "instance-a", 30_000, 10);
        expect(claimed).toMatchObject({ id: record.id, lease: { owner: "instance-a", until: T0 + 32_000 }, version: 1 });
        expect(await store.get(record.id)).toEqual(claimed);
        expect(await store.replace({ ...record, status: "verified" }, 0)).toBeUndefined();
      });

      it("does not claim a record again while its lease holds, and does once the lease lapses", async () => {
        await store.insert(makeRecord({ dueAt: T0 + 1_000 }));
        expect(await store.claimDue(T0 + 2_000, "instance-a", 5_000, 10)).toHaveLength(1);
        expect(await fixture.second.claimDue(T0 + 3_000, "instance-b", 5_000, 10)).toHaveLength(0);
        const [takenOver] = await fixture.second.claimDue(T0 + 7_001, "instance-b", 5_000, 10);
        expect(takenOver?.lease).toEqual({ owner: "instance-b", until: T0 + 12_001 });
      });

      it("does not claim a record leased by its writer until both the due time and the lease have passed", async () => {
        // Start holds a lease while it sends; the record is due when the lease ends.
        await store.insert(makeRecord({ dueAt: T0 + 1_000, lease: { owner: "instance-a", until: T0 + 5_000 } }));
        expect(await store.claimDue(T0 + 2_000, "instance-b", 5_000, 10)).toHaveLength(0);
        expect(await store.claimDue(T0 + 5_000, "instance-b", 5_000, 10)).toHaveLength(1);
      });

      it("claims a record written with a new due time only once that time comes", async () => {
        const record = makeRecord({ dueAt: T0 + 1_000 });
        await store.insert(record);
        const [claimed] = await store.claimDue(T0 + 2_000, "instance-a", 5_000, 10);
        // The handler pushes the due time out and drops its lease, as runDue does.
        await store.replace({ ...claimed!, lease: undefined, dueAt: T0 + 20_000 }, claimed!.version);
        expect(await store.claimDue(T0 + 19_999, "instance-a", 5_000, 10)).toHaveLength(0);
        expect(await store.claimDue(T0 + 20_000, "instance-a", 5_000, 10)).toHaveLength(1);
      });

      it("never hands one record to two concurrent claimers on two instances", async (context) => {
        if (!fixture.atomicWrites) context.skip("this server does not apply a filtered update atomically; the fenced write mode covers it");
        const records = Array.from({ length: 40 }, (_, index) => makeRecord({ dueAt: T0 + index }));
        for (const record of records) await store.insert(record);
        const claims = await Promise.all(
          Array.from({ length: 8 }, (_, index) => (index % 2 ? fixture.second : store).claimDue(T0 + 1_000, `claimer-${index}`, 30_000, 7)),
        );
        const ids = claims.flat().map((record) => record.id);
        expect(new Set(ids).size).toBe(ids.length);
        // Whatever a claimer lost in a race is still there for the next round.
        const leftover = await store.claimDue(T0 + 1_000, "sweeper", 30_000, 100);
        expect(new Set([...ids, ...leftover.map((record) => record.id)]).size).toBe(40);
      });
    });

    describe("events", () => {
      it("reads back the events stored with a write, after a given sequence, in order", async () => {
        const record = makeRecord();
        await store.insert(record);
        await writeEvents(store, record.id, ["submitted"]);
        await writeEvents(store, record.id, ["delivered", "check_failed"]);
        await writeEvents(store, record.id, ["verified"]);
        const all = await store.readEvents(record.id, 0);
        expect(all.map((event) => [event.sequence, event.type])).toEqual([
          [1, "submitted"],
          [2, "delivered"],
          [3, "check_failed"],
          [4, "verified"],
        ]);
        expect(all[0]).toMatchObject({ verificationId: record.id, provider: "sim-a", attemptNumber: 1 });
        expect((await store.readEvents(record.id, 2)).map((event) => event.sequence)).toEqual([3, 4]);
        expect(await store.readEvents(record.id, 4)).toEqual([]);
        expect(await store.readEvents("ver_unknown", 0)).toEqual([]);
      });

      it("gives each event the verification as that write left it", async () => {
        const record = makeRecord();
        await store.insert(record);
        await writeEvents(store, record.id, ["submitted"]);
        const current = (await store.get(record.id))!;
        await writeEvents(store, record.id, ["delivered"]);
        const [, delivered] = await store.readEvents(record.id, 0);
        expect(delivered?.verification).toMatchObject({ id: record.id, phoneNumber: record.phoneNumber, sequence: 2, version: current.version + 1 });
      });

      it("delivers published events to a subscriber once each, in order", async () => {
        const record = makeRecord();
        await store.insert(record);
        const seen: number[] = [];
        const unsubscribe = store.subscribe(record.id, (event) => seen.push(event.sequence));
        await writeEvents(store, record.id, ["submitted"]);
        await writeEvents(store, record.id, ["delivered", "check_failed"]);
        await writeEvents(store, record.id, ["verified"]);
        await eventually(() => expect(seen).toContain(4), { intervalMs: 10 });
        await sleep(300);
        expect(seen).toEqual([1, 2, 3, 4]);
        unsubscribe();
      });

      it("delivers events written through one instance to a subscriber on another, in order", async () => {
        const record = makeRecord();
        await store.insert(record);
        const seen: Array<[number, EventType]> = [];
        const unsubscribe = fixture.second.subscribe(record.id, (event) => seen.push([event.sequence, event.type]));
        await writeEvents(store, record.id, ["submitted"]);
        await writeEvents(store, record.id, ["delivered"]);
        await writeEvents(store, record.id, ["check_failed", "locked"]);
        await eventually(() => expect(seen.length).toBeGreaterThanOrEqual(4), { intervalMs: 10 });
        await sleep(300);
        expect(seen).toEqual([
          [1, "submitted"],
          [2, "delivered"],
          [3, "check_failed"],
          [4, "locked"],
        ]);
        unsubscribe();
      });

      it("keeps each verification's events to its own subscribers, and stops after unsubscribing", async () => {
        const watched = makeRecord();
        const other = makeRecord();
        await store.insert(watched);
        await store.insert(other);
        const seen: string[] = [];
        const unsubscribe = fixture.second.subscribe(watched.id, (event) => seen.push(`${event.verificationId}:${event.sequence}`));
        await writeEvents(store, other.id, ["submitted"]);
        await writeEvents(store, watched.id, ["submitted"]);
        await eventually(() => expect(seen.length).toBeGreaterThanOrEqual(1), { intervalMs: 10 });
        unsubscribe();
        await writeEvents(store, watched.id, ["delivered"]);
        await sleep(400);
        expect(seen).toEqual([`${watched.id}:1`]);
      });
    });
  });
}
