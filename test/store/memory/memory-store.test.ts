import { describe, expect, test } from "vitest";
import { MemoryStore } from "../../../src/store/memory/memory-store.js";
import type { VerificationEvent } from "../../../src/verification/model.js";
import { DuplicateKeyError } from "../../../src/verification/ports.js";
import { expectVerifyError } from "../../support/expect-error.js";
import { makeRecord } from "../../support/records.js";

const LEASE = 1_000;

function createStore(clock = { now: 0 }) {
  return new MemoryStore({ retentionMs: 10_000, now: () => clock.now, purgeIntervalMs: 0 });
}

async function insertError(store: MemoryStore, record: ReturnType<typeof makeRecord>): Promise<unknown> {
  try {
    await store.insert(record);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("MemoryStore unique keys", () => {
  test("inserting a second record with a taken idempotency key throws DuplicateKeyError for idempotency_key", async () => {
    const store = createStore();
    await store.insert(makeRecord({ idempotencyKey: "key-1" }));

    const error = await insertError(store, makeRecord({ idempotencyKey: "key-1" }));

    expect(error).toBeInstanceOf(DuplicateKeyError);
    expect((error as DuplicateKeyError).field).toBe("idempotency_key");
  });

  test("inserting a second active record for the same phone throws DuplicateKeyError for active_phone_number", async () => {
    const store = createStore();
    await store.insert(makeRecord({ phoneNumber: "+12025550100" }));

    const error = await insertError(store, makeRecord({ phoneNumber: "+12025550100" }));

    expect(error).toBeInstanceOf(DuplicateKeyError);
    expect((error as DuplicateKeyError).field).toBe("active_phone_number");
  });

  test("a phone whose verification has finished can get a new active one", async () => {
    const store = createStore();
    const first = makeRecord({ phoneNumber: "+12025550100" });
    await store.insert(first);
    await store.replace({ ...first, status: "verified" }, first.version);

    const second = makeRecord({ phoneNumber: "+12025550100" });
    await store.insert(second);

    expect((await store.findActiveByPhone("+12025550100"))?.id).toBe(second.id);
  });

  test("a record rewritten without its idempotency key frees the key for a new record", async () => {
    const store = createStore();
    const first = makeRecord({ idempotencyKey: "key-1", status: "expired" });
    await store.insert(first);
    await store.replace({ ...first, idempotencyKey: undefined }, first.version);

    expect(await store.findByIdempotencyKey("key-1")).toBeUndefined();
    await store.insert(makeRecord({ idempotencyKey: "key-1" }));
  });
});

describe("MemoryStore.replace", () => {
  test("writes when the version matches and returns the record with the version bumped", async () => {
    const store = createStore();
    const record = makeRecord();
    await store.insert(record);

    const stored = await store.replace({ ...record, status: "delivered" }, 0);

    expect(stored).toMatchObject({ status: "delivered", version: 1 });
    expect((await store.get(record.id))?.status).toBe("delivered");
  });

  test("returns undefined for a stale version and keeps what was written first", async () => {
    const store = createStore();
    const record = makeRecord();
    await store.insert(record);
    await store.replace({ ...record, status: "delivered" }, 0);

    const stale = await store.replace({ ...record, status: "canceled" }, 0);

    expect(stale).toBeUndefined();
    expect(await store.get(record.id)).toMatchObject({ status: "delivered", version: 1 });
  });

  test("indexes a provider message id once an attempt carries one", async () => {
    const store = createStore();
    const attempt = { number: 1, provider: "sms-a", channel: "sms" as const, status: "sending" as const, idempotencyKey: "k", startedAt: 0 };
    const record = makeRecord({ attempts: [attempt] });
    await store.insert(record);
    expect(await store.findByProviderMessageId("sms-a", "m-1")).toBeUndefined();

    await store.replace({ ...record, attempts: [{ ...attempt, status: "submitted", providerMessageId: "m-1" }] }, 0);

    expect((await store.findByProviderMessageId("sms-a", "m-1"))?.id).toBe(record.id);
    expect(await store.findByProviderMessageId("sms-b", "m-1")).toBeUndefined();
  });
});

describe("MemoryStore.claimDue", () => {
  test("returns only records whose due time has come", async () => {
    const store = createStore();
    const due = makeRecord({ dueAt: 100 });
    const later = makeRecord({ dueAt: 101 });
    const never = makeRecord({ dueAt: undefined });
    for (const record of [due, later, never]) await store.insert(record);

    const claimed = await store.claimDue(100, "me", LEASE, 10);

    expect(claimed.map((r) => r.id)).toEqual([due.id]);
    expect(claimed[0]!.lease).toEqual({ owner: "me", until: 100 + LEASE });
  });

  test("does not hand a claimed record out again until its lease lapses", async () => {
    const store = createStore();
    const record = makeRecord({ dueAt: 100 });
    await store.insert(record);
    await store.claimDue(100, "me", LEASE, 10);

    expect(await store.claimDue(100 + LEASE - 1, "other", LEASE, 10)).toEqual([]);
    const reclaimed = await store.claimDue(100 + LEASE, "other", LEASE, 10);

    expect(reclaimed.map((r) => [r.id, r.lease?.owner])).toEqual([[record.id, "other"]]);
  });

  test("does not claim a record whose lease another writer holds", async () => {
    const store = createStore();
    const record = makeRecord({ dueAt: 100, lease: { owner: "sender", until: 500 } });
    await store.insert(record);

    expect(await store.claimDue(499, "me", LEASE, 10)).toEqual([]);
    expect((await store.claimDue(500, "me", LEASE, 10)).map((r) => r.id)).toEqual([record.id]);
  });

  test("claims at most limit records per call, earliest first, and the rest on later calls", async () => {
    const store = createStore();
    const records = [50, 10, 40, 20, 30].map((dueAt) => makeRecord({ dueAt }));
    for (const record of records) await store.insert(record);

    const first = await store.claimDue(100, "me", LEASE, 2);
    const second = await store.claimDue(100, "me", LEASE, 2);
    const third = await store.claimDue(100, "me", LEASE, 2);

    expect(first.map((r) => r.dueAt)).toEqual([10, 20]);
    expect(second.map((r) => r.dueAt)).toEqual([30, 40]);
    expect(third.map((r) => r.dueAt)).toEqual([50]);
  });

  test("picks a record up again at its new due time after it is rescheduled", async () => {
    const store = createStore();
    const record = makeRecord({ dueAt: 100 });
    await store.insert(record);
    const [claimed] = await store.claimDue(100, "me", LEASE, 10);

    await store.replace({ ...claimed!, lease: undefined, dueAt: 5_000 }, claimed!.version);

    expect(await store.claimDue(4_999, "me", LEASE, 10)).toEqual([]);
    expect((await store.claimDue(5_000, "me", LEASE, 10)).map((r) => r.id)).toEqual([record.id]);
  });

  test("a record moved earlier is claimed at the earlier time, and its old due time no longer fires", async () => {
    const store = createStore();
    const record = makeRecord({ dueAt: 5_000 });
    await store.insert(record);
    await store.replace({ ...record, dueAt: 100 }, 0);

    const claimed = await store.claimDue(100, "me", LEASE, 10);
    expect(claimed.map((r) => r.id)).toEqual([record.id]);
    // The claimer finishes its work and leaves nothing due.
    await store.replace({ ...claimed[0]!, lease: undefined, dueAt: undefined }, claimed[0]!.version);

    expect(await store.claimDue(5_000, "me", LEASE, 10)).toEqual([]);
  });

  test("a record moved away from a due time and back to it is claimed once", async () => {
    const store = createStore();
    const record = makeRecord({ dueAt: 100 });
    await store.insert(record);
    const moved = await store.replace({ ...record, dueAt: 200 }, record.version);
    await store.replace({ ...moved!, dueAt: 100 }, moved!.version);

    // Two queue entries for 100 now; the second is stale once the first claim leased the record.
    expect((await store.claimDue(100, "me", LEASE, 10)).map((r) => r.id)).toEqual([record.id]);
    expect(await store.claimDue(200, "me", LEASE, 10)).toEqual([]);
    expect((await store.claimDue(100 + LEASE, "me", LEASE, 10)).map((r) => r.id)).toEqual([record.id]);
  });

  test("a record whose due time is cleared is never claimed", async () => {
    const store = createStore();
    const record = makeRecord({ dueAt: 100 });
    await store.insert(record);

    await store.replace({ ...record, dueAt: undefined, status: "verified" }, 0);

    expect(await store.claimDue(10_000, "me", LEASE, 10)).toEqual([]);
  });

  test("bumps the version, so a writer holding the pre-claim copy loses", async () => {
    const store = createStore();
    const record = makeRecord({ dueAt: 100 });
    await store.insert(record);

    await store.claimDue(100, "me", LEASE, 10);

    expect(await store.replace({ ...record, status: "canceled" }, record.version)).toBeUndefined();
  });
});

describe("MemoryStore.purge", () => {
  test("removes finished records past retention and keeps active and recent ones", async () => {
    const clock = { now: 0 };
    const store = createStore(clock);
    const oldFinished = makeRecord({ status: "verified", updatedAt: 1_000, expiresAt: 2_000, idempotencyKey: "old" });
    const oldActive = makeRecord({ status: "submitted", updatedAt: 1_000, expiresAt: 2_000 });
    const recentFinished = makeRecord({ status: "canceled", updatedAt: 15_000, expiresAt: 2_000 });
    for (const record of [oldFinished, oldActive, recentFinished]) await store.insert(record);
    clock.now = 2_000 + 10_000 + 1;

    const removed = store.purge();

    expect(removed).toBe(1);
    expect(await store.get(oldFinished.id)).toBeUndefined();
    expect(await store.findByIdempotencyKey("old")).toBeUndefined();
    expect(await store.get(oldActive.id)).toBeDefined();
    expect(await store.get(recentFinished.id)).toBeDefined();
  });

  test("keeps a finished record until its code would have expired plus retention", async () => {
    const clock = { now: 0 };
    const store = createStore(clock);
    const record = makeRecord({ status: "verified", updatedAt: 0, expiresAt: 600_000 });
    await store.insert(record);

    clock.now = 600_000 + 10_000 - 1;
    expect(store.purge()).toBe(0);
    clock.now += 1;
    expect(store.purge()).toBe(1);
  });
});

describe("MemoryStore events", () => {
  test("publish delivers events to the verification's subscribers only, until they unsubscribe", async () => {
    const store = createStore();
    const one = makeRecord();
    const two = makeRecord();
    const seen: string[] = [];
    const unsubscribe = store.subscribe(one.id, (event) => seen.push(`${event.verificationId}:${event.sequence}`));
    const event = (record: typeof one, sequence: number): VerificationEvent => ({
      verificationId: record.id,
      sequence,
      type: "submitted",
      verification: record,
      at: 0,
    });

    await store.publish([event(one, 1), event(two, 1)]);
    unsubscribe();
    await store.publish([event(one, 2)]);

    expect(seen).toEqual([`${one.id}:1`]);
  });
});

describe("MemoryStore bound (max_records)", () => {
  function boundedStore(maxRecords: number) {
    return new MemoryStore({ retentionMs: 86_400_000, maxRecords, now: () => 0, purgeIntervalMs: 0 });
  }

  async function finish(store: MemoryStore, record: ReturnType<typeof makeRecord>, status: "verified" | "expired" = "verified") {
    const current = (await store.get(record.id))!;
    await store.replace({ ...current, status }, current.version);
  }

  test("drops the finished record that finished first, not the one inserted first, to make room", async () => {
    const store = boundedStore(3);
    const [a, b, c] = [makeRecord({ idempotencyKey: "key-a" }), makeRecord({ idempotencyKey: "key-b" }), makeRecord()];
    for (const record of [a, b, c]) await store.insert(record);
    await finish(store, b);
    await finish(store, a);

    await store.insert(makeRecord());

    expect(await store.get(b.id)).toBeUndefined();
    expect(await store.get(a.id)).toBeDefined();
    expect(store.evicted).toBe(1);
    await store.insert(makeRecord());
    expect(await store.get(a.id)).toBeUndefined();
    expect(store.evicted).toBe(2);
    expect(store.size).toBe(3);
  });

  test("forgets what a dropped record was indexed by, so its idempotency key and number are free again", async () => {
    const store = boundedStore(2);
    const first = makeRecord({ idempotencyKey: "key-1", phoneNumber: "+12025550100" });
    await store.insert(first);
    await finish(store, first);
    await store.insert(makeRecord());

    await store.insert(makeRecord({ idempotencyKey: "key-2", phoneNumber: "+12025550101" }));

    expect(await store.get(first.id)).toBeUndefined();
    expect(await store.findByIdempotencyKey("key-1")).toBeUndefined();
    expect(await store.readEvents(first.id, 0)).toEqual([]);
  });

  test("never drops an active record: with only active ones left, insert fails with resource_exhausted", async () => {
    const store = boundedStore(3);
    const [a, b, c] = [makeRecord(), makeRecord(), makeRecord()];
    for (const record of [a, b, c]) await store.insert(record);
    await finish(store, b);
    const d = makeRecord();
    await store.insert(d);

    await expectVerifyError(store.insert(makeRecord()), "resource_exhausted");

    for (const record of [a, c, d]) expect((await store.get(record.id))?.status).toBe("submitted");
    expect(store.size).toBe(3);
    expect(store.evicted).toBe(1);
  });

  test("when full, a Start racing a taken key or number still learns of the duplicate, not of the bound", async () => {
    const store = boundedStore(1);
    const active = makeRecord({ idempotencyKey: "key-1" });
    await store.insert(active);

    const error = await insertError(store, makeRecord({ idempotencyKey: "key-1" }));

    expect(error).toBeInstanceOf(DuplicateKeyError);
  });

  test("takes new records again once an active one finishes", async () => {
    const store = boundedStore(2);
    const [a, b] = [makeRecord(), makeRecord()];
    await store.insert(a);
    await store.insert(b);
    await expectVerifyError(store.insert(makeRecord()), "resource_exhausted");

    await finish(store, a, "expired");
    const c = makeRecord();
    await store.insert(c);

    expect(await store.get(a.id)).toBeUndefined();
    expect((await store.get(c.id))?.id).toBe(c.id);
  });

  test("a finished record written again keeps its place in finish order", async () => {
    const store = boundedStore(3);
    const [a, b, c] = [makeRecord({ idempotencyKey: "key-a" }), makeRecord(), makeRecord()];
    for (const record of [a, b, c]) await store.insert(record);
    await finish(store, a, "expired");
    await finish(store, b);
    // The domain releases an expired verification's idempotency key with one more write.
    const expired = (await store.get(a.id))!;
    await store.replace({ ...expired, idempotencyKey: undefined }, expired.version);

    await store.insert(makeRecord());

    expect(await store.get(a.id)).toBeUndefined();
    expect(await store.get(b.id)).toBeDefined();
  });

  test("a purged record leaves the finish order: the next eviction takes the next finished one", async () => {
    const clock = { now: 0 };
    const store = new MemoryStore({ retentionMs: 1_000, maxRecords: 3, now: () => clock.now, purgeIntervalMs: 0 });
    const [a, b, c] = [makeRecord({ expiresAt: 0 }), makeRecord({ expiresAt: 0 }), makeRecord({ expiresAt: 0 })];
    for (const record of [a, b, c]) await store.insert(record);
    await finish(store, a, "expired");
    clock.now = 5_000;
    expect(store.purge()).toBe(1);
    await store.replace({ ...(await store.get(b.id))!, status: "expired", updatedAt: 5_000 }, 0);
    await store.insert(makeRecord());

    await store.insert(makeRecord());

    expect(await store.get(b.id)).toBeUndefined();
    expect(await store.get(c.id)).toBeDefined();
    expect(store.evicted).toBe(1);
  });
});
