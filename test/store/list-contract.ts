/**
 * The store contract's part for ListVerifications (store-contract.ts runs it
 * against every store): newest first, every filter, cursor pages that
 * neither repeat nor skip a record while others are inserted, the page size
 * bounds, and page tokens the store did not issue.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../src/verification/listing.js";
import type { Attempt, VerificationRecord } from "../../src/verification/model.js";
import type { VerificationQuery, VerificationStore } from "../../src/verification/ports.js";
import { expectVerifyError } from "../support/expect-error.js";

type MakeRecord = (overrides?: Partial<VerificationRecord>) => VerificationRecord;

/** Near the wall clock, so a server's TTL monitor never finds these records expired. */
const NOW = Date.now();

function attempt(provider: string, number = 1): Attempt {
  return { number, provider, channel: "sms", status: "submitted", idempotencyKey: `k-${provider}-${number}`, startedAt: NOW };
}

/** Every page of `query`, following the tokens. */
async function allPages(store: VerificationStore, query: VerificationQuery = {}): Promise<string[][]> {
  const pages: string[][] = [];
  let pageToken = query.pageToken;
  do {
    const page = await store.listVerifications({ ...query, pageToken });
    pages.push(page.verifications.map((record) => record.id));
    pageToken = page.nextPageToken;
    expect(pages.length).toBeLessThan(50);
  } while (pageToken !== undefined);
  return pages;
}

async function listedIds(store: VerificationStore, query: VerificationQuery = {}): Promise<string[]> {
  return (await allPages(store, { pageSize: MAX_PAGE_SIZE, ...query })).flat();
}

export function listingContract(storeOf: () => VerificationStore, makeRecord: MakeRecord): void {
  /** A finished record (no active-number index to collide on) created `ago` ms before NOW. */
  const finished = (id: string, ago: number, overrides: Partial<VerificationRecord> = {}) =>
    makeRecord({ id, status: "verified", sealedCode: undefined, createdAt: NOW - ago, updatedAt: NOW - ago, ...overrides });

  describe("listing", () => {
    it("lists newest first, by creation time and then by id, each record as stored", async () => {
      const store = storeOf();
      // Inserted out of order; b and d were created in the same millisecond.
      for (const record of [finished("ver_list_b", 1_000), finished("ver_list_e", 0), finished("ver_list_a", 3_000), finished("ver_list_d", 1_000)]) {
        await store.insert(record);
      }
      await store.insert(finished("ver_list_c", 2_000));

      const page = await store.listVerifications({});
      expect(page.verifications.map((record) => record.id)).toEqual(["ver_list_e", "ver_list_d", "ver_list_b", "ver_list_c", "ver_list_a"]);
      expect(page.nextPageToken).toBeUndefined();
      expect(page.verifications[1]).toEqual(await store.get("ver_list_d"));
    });

    it("lists nothing from an empty store, with no next page", async () => {
      expect(await storeOf().listVerifications({ pageSize: 10 })).toEqual({ verifications: [] });
    });

    it("filters by any of several statuses", async () => {
      const store = storeOf();
      await store.insert(finished("ver_st_verified", 3));
      await store.insert(finished("ver_st_expired", 2, { status: "expired" }));
      await store.insert(finished("ver_st_failed", 1, { status: "failed" }));
      await store.insert(makeRecord({ id: "ver_st_pending", status: "pending", createdAt: NOW }));

      expect(await listedIds(store, { statuses: ["expired", "pending"] })).toEqual(["ver_st_pending", "ver_st_expired"]);
      expect(await listedIds(store, { statuses: ["verified"] })).toEqual(["ver_st_verified"]);
      expect(await listedIds(store, { statuses: ["locked"] })).toEqual([]);
    });

    it("filters by country", async () => {
      const store = storeOf();
      await store.insert(finished("ver_c_us", 2, { country: "US" }));
      await store.insert(finished("ver_c_de", 1, { country: "DE", phoneNumber: "+4915123456789" }));

      expect(await listedIds(store, { country: "DE" })).toEqual(["ver_c_de"]);
      expect(await listedIds(store, { country: "FR" })).toEqual([]);
    });

    it("filters by provider, matching any attempt, not only the last", async () => {
      const store = storeOf();
      await store.insert(finished("ver_p_a", 3, { attempts: [attempt("sim-a")] }));
      await store.insert(finished("ver_p_ab", 2, { attempts: [attempt("sim-a"), attempt("sim-b", 2)] }));
      await store.insert(finished("ver_p_none", 1));

      expect(await listedIds(store, { provider: "sim-a" })).toEqual(["ver_p_ab", "ver_p_a"]);
      expect(await listedIds(store, { provider: "sim-b" })).toEqual(["ver_p_ab"]);
      expect(await listedIds(store, { provider: "sim-c" })).toEqual([]);
    });

    it("filters by creation time: created_after inclusive, created_before exclusive", async () => {
      const store = storeOf();
      for (const ago of [400, 300, 200, 100]) await store.insert(finished(`ver_t_${ago}`, ago));

      expect(await listedIds(store, { createdAfter: NOW - 300 })).toEqual(["ver_t_100", "ver_t_200", "ver_t_300"]);
      expect(await listedIds(store, { createdBefore: NOW - 200 })).toEqual(["ver_t_300", "ver_t_400"]);
      expect(await listedIds(store, { createdAfter: NOW - 300, createdBefore: NOW - 100 })).toEqual(["ver_t_200", "ver_t_300"]);
    });

    it("combines filters: a record must pass every one", async () => {
      const store = storeOf();
      await store.insert(finished("ver_x_match", 10, { country: "DE", attempts: [attempt("sim-b")] }));
      await store.insert(finished("ver_x_country", 20, { country: "US", attempts: [attempt("sim-b")] }));
      await store.insert(finished("ver_x_status", 30, { country: "DE", status: "expired", attempts: [attempt("sim-b")] }));
      await store.insert(finished("ver_x_old", 5_000, { country: "DE", attempts: [attempt("sim-b")] }));

      const query = { statuses: ["verified"], country: "DE", provider: "sim-b", createdAfter: NOW - 1_000 } satisfies VerificationQuery;
      expect(await listedIds(store, query)).toEqual(["ver_x_match"]);
    });

    it("pages through every record once, in order, while others are inserted between pages", async () => {
      const store = storeOf();
      // Three created in one millisecond (70 ms ago), so a page ends inside the tie.
      const ages = [90, 80, 70, 70, 70, 50, 40, 30, 20];
      for (const [index, ago] of ages.entries()) await store.insert(finished(`ver_pg_${index}`, ago));

      const first = await store.listVerifications({ pageSize: 3 });
      expect(first.verifications.map((record) => record.id)).toEqual(["ver_pg_8", "ver_pg_7", "ver_pg_6"]);
      // Inserted after the first page: one newer than it, two in its last record's millisecond (one
      // ordered before that record, one after it), and one older than everything.
      await store.insert(finished("ver_pg_new", 0));
      await store.insert(finished("ver_pg_7z", 40));
      await store.insert(finished("ver_pg_5z", 40));
      await store.insert(finished("ver_pg_older", 1_000));
      const rest = await allPages(store, { pageSize: 3, pageToken: first.nextPageToken });

      // Each original record once, in order; of the late ones only those ordered after the cursor.
      expect(rest).toEqual([
        ["ver_pg_5z", "ver_pg_5", "ver_pg_4"],
        ["ver_pg_3", "ver_pg_2", "ver_pg_1"],
        ["ver_pg_0", "ver_pg_older"],
      ]);
    });

    it("ends with a page that has no token, also when that page is exactly full", async () => {
      const store = storeOf();
      for (const ago of [3, 2, 1]) await store.insert(finished(`ver_full_${ago}`, ago));

      const page = await store.listVerifications({ pageSize: 3 });
      expect(page.verifications).toHaveLength(3);
      expect(page.nextPageToken).toBeUndefined();
      expect(await allPages(store, { pageSize: 2 })).toEqual([["ver_full_1", "ver_full_2"], ["ver_full_3"]]);
    });

    it(`serves ${DEFAULT_PAGE_SIZE} a page by default and at most ${MAX_PAGE_SIZE} however many are asked for`, async () => {
      const store = storeOf();
      for (let index = 0; index < MAX_PAGE_SIZE + 5; index++) await store.insert(finished(`ver_many_${String(index).padStart(3, "0")}`, index));

      const byDefault = await store.listVerifications({});
      expect(byDefault.verifications).toHaveLength(DEFAULT_PAGE_SIZE);
      expect(byDefault.nextPageToken).toBeDefined();
      const capped = await store.listVerifications({ pageSize: 1_000 });
      expect(capped.verifications).toHaveLength(MAX_PAGE_SIZE);
      const last = await store.listVerifications({ pageSize: 1_000, pageToken: capped.nextPageToken });
      expect(last.verifications.map((record) => record.id)).toEqual(["ver_many_100", "ver_many_101", "ver_many_102", "ver_many_103", "ver_many_104"]);
      expect(last.nextPageToken).toBeUndefined();
    });

    it.each([
      ["not base64url", "a token!"],
      ["not JSON", Buffer.from("hello").toString("base64url")],
      ["another version", Buffer.from(JSON.stringify(["v0", NOW, "ver_x"])).toString("base64url")],
      ["a negative time", Buffer.from(JSON.stringify(["v1", -1, "ver_x"])).toString("base64url")],
      ["an id that is no id", Buffer.from(JSON.stringify(["v1", NOW, "ver x/../"])).toString("base64url")],
      ["far too long", "A".repeat(10_000)],
    ])("refuses a page token that is %s with INVALID_ARGUMENT", async (_what, pageToken) => {
      const store = storeOf();
      await store.insert(finished("ver_tok", 1));
      const error = await expectVerifyError(store.listVerifications({ pageToken }), "invalid_argument");
      expect(error.message).toContain("page_token");
    });
  });
}
