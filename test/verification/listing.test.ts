import { describe, expect, test } from "vitest";
import { VerifyError } from "../../src/verification/errors.js";
import {
  DEFAULT_PAGE_SIZE,
  decodePageToken,
  encodePageToken,
  isPastCursor,
  MAX_PAGE_SIZE,
  matchesQuery,
  newestFirst,
  pageSizeOf,
  validateListQuery,
} from "../../src/verification/listing.js";
import { maskPhoneNumber } from "../../src/verification/phone.js";
import { makeRecord } from "../support/records.js";

function refusal(run: () => unknown): VerifyError {
  try {
    run();
  } catch (error) {
    if (error instanceof VerifyError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("validateListQuery", () => {
  test("upper-cases the country, drops repeated statuses and fills in the page size", () => {
    expect(validateListQuery({ country: " de ", statuses: ["pending", "pending", "verified"], provider: "sim-a" })).toEqual({
      country: "DE",
      statuses: ["pending", "verified"],
      provider: "sim-a",
      pageSize: DEFAULT_PAGE_SIZE,
    });
  });

  test("treats empty filters as no filter", () => {
    expect(validateListQuery({ country: "", provider: "", statuses: [], pageToken: "" })).toEqual({ pageSize: DEFAULT_PAGE_SIZE });
  });

  test.each([
    [{ country: "Germany" }, /country must be an ISO 3166-1 alpha-2 code such as "DE", got "Germany"/],
    [{ country: "D1" }, /country must be an ISO 3166-1 alpha-2/],
    [{ provider: "Sim A" }, /provider must be a provider name/],
    [{ createdAfter: 2_000, createdBefore: 1_000 }, /created_after must be earlier than created_before/],
    [{ createdAfter: 1_000, createdBefore: 1_000 }, /created_after must be earlier than created_before/],
    [{ pageToken: "nonsense!" }, /page_token is not one this server issued/],
  ])("refuses %o with INVALID_ARGUMENT naming the field", (query, message) => {
    const error = refusal(() => validateListQuery(query));
    expect(error.kind).toBe("invalid_argument");
    expect(error.message).toMatch(message);
  });
});

describe("pageSizeOf", () => {
  test(`is ${DEFAULT_PAGE_SIZE} for 0 or none, the size asked up to ${MAX_PAGE_SIZE}, and ${MAX_PAGE_SIZE} past it`, () => {
    expect(pageSizeOf({})).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSizeOf({ pageSize: 0 })).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSizeOf({ pageSize: 7 })).toBe(7);
    expect(pageSizeOf({ pageSize: MAX_PAGE_SIZE })).toBe(MAX_PAGE_SIZE);
    expect(pageSizeOf({ pageSize: 4_000_000_000 })).toBe(MAX_PAGE_SIZE);
  });

  test("refuses a negative or fractional size", () => {
    expect(refusal(() => pageSizeOf({ pageSize: -1 })).kind).toBe("invalid_argument");
    expect(refusal(() => pageSizeOf({ pageSize: 2.5 })).kind).toBe("invalid_argument");
  });
});

describe("page tokens", () => {
  test("give back the cursor they were made from, and are opaque URL-safe text", () => {
    const token = encodePageToken({ createdAt: 1_700_000_000_123, id: "ver_AbC-9_x" });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token)).toEqual({ createdAt: 1_700_000_000_123, id: "ver_AbC-9_x" });
  });

  test("refuses a token whose cursor is not one a record could have", () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    for (const token of [forged({ createdAt: 1, id: "ver_x" }), forged(["v1", 1.5, "ver_x"]), forged(["v1", 1, ""]), forged(["v1", "1", "ver_x"])]) {
      expect(refusal(() => decodePageToken(token)).kind).toBe("invalid_argument");
    }
  });
});

describe("newest-first order", () => {
  test("sorts by creation time descending, then id descending", () => {
    const cursors = [
      { createdAt: 1, id: "b" },
      { createdAt: 2, id: "a" },
      { createdAt: 1, id: "c" },
    ];
    expect(cursors.sort(newestFirst)).toEqual([
      { createdAt: 2, id: "a" },
      { createdAt: 1, id: "c" },
      { createdAt: 1, id: "b" },
    ]);
    expect(isPastCursor({ createdAt: 1, id: "b" }, { createdAt: 1, id: "c" })).toBe(true);
    expect(isPastCursor({ createdAt: 1, id: "c" }, { createdAt: 1, id: "c" })).toBe(false);
    expect(isPastCursor({ createdAt: 2, id: "a" }, { createdAt: 1, id: "c" })).toBe(false);
  });
});

describe("matchesQuery", () => {
  const record = makeRecord({
    status: "delivered",
    country: "DE",
    createdAt: 1_000,
    attempts: [
      { number: 1, provider: "sim-a", channel: "sms", status: "rejected", idempotencyKey: "k1", startedAt: 1_000 },
      { number: 2, provider: "sim-b", channel: "sms", status: "delivered", idempotencyKey: "k2", startedAt: 1_001 },
    ],
  });

  test("passes a record that meets every filter, and fails it on any one", () => {
    expect(matchesQuery(record, { statuses: ["delivered"], country: "DE", provider: "sim-a", createdAfter: 1_000, createdBefore: 1_001 })).toBe(true);
    expect(matchesQuery(record, { statuses: ["verified"] })).toBe(false);
    expect(matchesQuery(record, { country: "US" })).toBe(false);
    expect(matchesQuery(record, { provider: "sim-c" })).toBe(false);
    expect(matchesQuery(record, { createdAfter: 1_001 })).toBe(false);
    expect(matchesQuery(record, { createdBefore: 1_000 })).toBe(false);
  });
});

describe("maskPhoneNumber", () => {
  test.each([
    ["+4915123456789", "DE", "+4915*******89"],
    ["+12025550100", "US", "+120******00"],
    ["+447700900123", "GB", "+4477******23"],
    // A three-digit calling code.
    ["+998901234567", "UZ", "+99890*****67"],
    // Short national numbers show less, so four digits or more stay hidden.
    ["+3524711", "LU", "+352****"],
    ["+298123456", "FO", "+2981****6"],
  ])("masks %s (%s) as %s", (e164, country, masked) => {
    expect(maskPhoneNumber(e164, country)).toBe(masked);
  });

  test("keeps only the first digit as the code when the country is unknown to it", () => {
    expect(maskPhoneNumber("+4915123456789", "ZZ")).toBe("+491********89");
  });
});
