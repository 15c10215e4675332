/**
 * The memory store's listing index (creation-order.ts) kept in step with
 * what the store drops and changes: purged and evicted records leave the
 * list, a rebuild after many removals keeps the order, and a page of a
 * large store is read without walking every record.
 */
import { describe, expect, it } from "vitest";
import { LIST_SCAN_LIMIT } from "../../../src/store/memory/creation-order.js";
import { MemoryStore } from "../../../src/store/memory/memory-store.js";
import type { VerificationRecord } from "../../../src/verification/model.js";
import { makeRecord } from "../../support/records.js";

const T0 = 1_700_000_000_000;

function finishedAt(createdAt: number, overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  return makeRecord({ status: "verified", createdAt, updatedAt: createdAt, expiresAt: createdAt + 1_000, ...overrides });
}

async function ids(store: MemoryStore, pageSize = 100): Promise<string[]> {
  const listed: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.listVerifications({ pageSize, pageToken });
    listed.push(...page.verifications.map((record) => record.id));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return listed;
}

describe("MemoryStore listing", () => {
  it("no longer lists records the purge dropped after their retention", async () => {
    let now = T0;
    const store = new MemoryStore({ retentionMs: 10_000, purgeIntervalMs: 0, now: () => now });
    const old = finishedAt(T0 - 60_000);
    const recent = finishedAt(T0);
    await store.insert(old);
    await store.insert(recent);

    now = T0 + 5_000;
    expect(store.purge()).toBe(1);
    expect(await ids(store)).toEqual([recent.id]);
  });

  it("no longer lists the finished records evicted to stay within max_records", async () => {
    const store = new MemoryStore({ retentionMs: 86_400_000, purgeIntervalMs: 0, maxRecords: 3 });
    const records = [0, 1, 2, 3, 4].map((index) => finishedAt(T0 + index));
    for (const record of records) await store.insert(record);

    expect(store.evicted).toBe(2);
    expect(await ids(store)).toEqual([records[4]!.id, records[3]!.id, records[2]!.id]);
  });

  it("keeps the order after thousands of removals have made it rebuild its index", async () => {
    let now = T0;
    const store = new MemoryStore({ retentionMs: 1_000, purgeIntervalMs: 0, now: () => now });
    const kept: VerificationRecord[] = [];
    for (let index = 0; index < 3_000; index++) {
      const record = finishedAt(T0 - 10_000 + index, index % 500 === 0 ? { expiresAt: T0 + 60_000 } : {});
      if (index % 500 === 0) kept.push(record);
      await store.insert(record);
    }
    now = T0 + 30_000;
    expect(store.purge()).toBe(3_000 - kept.length);
    // Inserted after the rebuild, out of creation order: it goes to its place.
    const late = finishedAt(T0 - 9_999);
    await store.insert(late);

    expect(await ids(store, 2)).toEqual([...kept.slice(1).reverse(), late, kept[0]!].map((record) => record.id));
  });

  it("lists a record once, at its new place, when a write changes its creation time", async () => {
    const store = new MemoryStore({ retentionMs: 86_400_000, purgeIntervalMs: 0 });
    const moved = makeRecord({ createdAt: T0 });
    const other = makeRecord({ createdAt: T0 + 10 });
    await store.insert(moved);
    await store.insert(other);

    await store.replace({ ...moved, createdAt: T0 + 20 }, 0);
    expect(await ids(store)).toEqual([moved.id, other.id]);
  });

  it("reads a page of a large store (100,000 records) without walking every record", async () => {
    const store = new MemoryStore({ retentionMs: 86_400_000, purgeIntervalMs: 0 });
    const count = 100_000;
    for (let index = 0; index < count; index++) await store.insert(finishedAt(T0 + index, { id: `ver_full_${index}` }));

    const began = performance.now();
    let page = await store.listVerifications({ pageSize: 100 });
    for (let pages = 1; pages < 100; pages++) page = await store.listVerifications({ pageSize: 100, pageToken: page.nextPageToken });
    const perPageMs = (performance.now() - began) / 100;

    expect(page.verifications.at(-1)?.id).toBe(`ver_full_${count - 10_000}`);
    // A page is ~100 map reads and one binary search: well under a millisecond, where a walk of every record takes tens.
    expect(perPageMs).toBeLessThan(5);
  });

  it(`looks at ${LIST_SCAN_LIMIT} records a page at most: a rare match comes in short pages whose tokens go on where each stopped`, async () => {
    const store = new MemoryStore({ retentionMs: 86_400_000, purgeIntervalMs: 0 });
    const count = 2 * LIST_SCAN_LIMIT + LIST_SCAN_LIMIT / 2;
    const rare = new Set([5, LIST_SCAN_LIMIT + 7, 2 * LIST_SCAN_LIMIT + 9]);
    for (let index = 0; index < count; index++) {
      await store.insert(finishedAt(T0 + index, { id: `ver_scan_${index}`, country: rare.has(index) ? "DE" : "US" }));
    }

    const pages: string[][] = [];
    let pageToken: string | undefined;
    do {
      const page = await store.listVerifications({ country: "DE", pageSize: 100, pageToken });
      pages.push(page.verifications.map((record) => record.id));
      pageToken = page.nextPageToken;
    } while (pageToken);

    // Newest first, each page the matches among the next LIST_SCAN_LIMIT records.
    expect(pages).toEqual([[`ver_scan_${2 * LIST_SCAN_LIMIT + 9}`], [`ver_scan_${LIST_SCAN_LIMIT + 7}`], ["ver_scan_5"]]);
  });
});
