import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { VerifyError } from "../../src/verification/errors.js";
import {
  CODE_LENGTH_MAX,
  CODE_LENGTH_MIN,
  METADATA_MAX_BYTES,
  METADATA_MAX_ENTRIES,
  resolveCodeLength,
  startFingerprint,
  validateClientIp,
  validateCodeFormat,
  validateIdempotencyKey,
  validateLocale,
  validateMetadata,
  validateVerificationId,
} from "../../src/verification/validation.js";

function refusal(run: () => unknown): VerifyError {
  try {
    run();
  } catch (error) {
    if (error instanceof VerifyError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("resolveCodeLength", () => {
  test("the limits are 4 and 10 digits", () => {
    expect([CODE_LENGTH_MIN, CODE_LENGTH_MAX]).toEqual([4, 10]);
  });

  test("0 means the configured default", () => {
    expect(resolveCodeLength(0, 6)).toBe(6);
  });

  test.each([4, 5, 9, 10])("accepts %i", (length) => {
    expect(resolveCodeLength(length, 6)).toBe(length);
  });

  test.each([3, 11, -1, 4.5, Number.NaN])("refuses %s with the allowed range", (length) => {
    expect(refusal(() => resolveCodeLength(length, 6))).toMatchObject({
      kind: "invalid_argument",
      message: `code_length must be 0 (default) or 4 to 10, got ${length}`,
    });
  });
});

describe("validateMetadata", () => {
  const entries = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, "v"]));

  test("the limits are 16 entries and 2048 bytes", () => {
    expect([METADATA_MAX_ENTRIES, METADATA_MAX_BYTES]).toEqual([16, 2048]);
  });

  test("accepts no metadata and exactly 16 entries", () => {
    expect(() => validateMetadata({})).not.toThrow();
    expect(() => validateMetadata(entries(16))).not.toThrow();
  });

  test("refuses 17 entries", () => {
    expect(refusal(() => validateMetadata(entries(17)))).toMatchObject({ kind: "invalid_argument", message: "metadata has 17 entries; at most 16 are allowed" });
  });

  test("accepts exactly 2048 bytes of keys and values, and refuses 2049", () => {
    expect(() => validateMetadata({ k: "v".repeat(2047) })).not.toThrow();
    expect(refusal(() => validateMetadata({ k: "v".repeat(2048) }))).toMatchObject({
      kind: "invalid_argument",
      message: "metadata is 2049 bytes; at most 2048 are allowed (keys and values, UTF-8)",
    });
  });

  test("counts bytes of UTF-8, not characters, for keys as well as values", () => {
    // "é" is two bytes: 1024 of them are 2048 bytes, plus the key's own bytes.
    expect(refusal(() => validateMetadata({ k: "é".repeat(1024) })).message).toContain("2049 bytes");
    expect(refusal(() => validateMetadata({ ["é".repeat(1024)]: "v" })).message).toContain("2049 bytes");
  });

  test("adds up every entry", () => {
    expect(() => validateMetadata({ a: "x".repeat(1000), b: "x".repeat(1046) })).not.toThrow();
    expect(refusal(() => validateMetadata({ a: "x".repeat(1000), b: "x".repeat(1047) })).message).toContain("2049 bytes");
  });
});

describe("validateCodeFormat", () => {
  test.each(["0000", "123456", "0123456789"])("accepts %j", (code) => {
    expect(() => validateCodeFormat(code)).not.toThrow();
  });

  test.each(["", "123", "01234567890", "12a4", " 1234", "1234 ", "١٢٣٤", "12.4", "+1234"])("refuses %j", (code) => {
    expect(refusal(() => validateCodeFormat(code))).toMatchObject({ kind: "invalid_argument", message: "code must be 4 to 10 digits" });
  });
});

describe("validateVerificationId", () => {
  test.each(["v", "ver_ABC-123", "a".repeat(64)])("accepts %j", (id) => {
    expect(() => validateVerificationId(id)).not.toThrow();
  });

  test("refuses an empty id as required", () => {
    expect(refusal(() => validateVerificationId(""))).toMatchObject({ kind: "invalid_argument", message: "verification_id is required" });
  });

  test.each(["a".repeat(65), "ver 1", "ver/1", "ver.1", "vér", "x\n"])("refuses %j as malformed", (id) => {
    expect(refusal(() => validateVerificationId(id))).toMatchObject({ kind: "invalid_argument", message: "verification_id is malformed" });
  });
});

describe("validateClientIp", () => {
  test.each([undefined, ""])("%j means no client IP", (ip) => {
    expect(validateClientIp(ip)).toBeUndefined();
  });

  test.each(["192.0.2.1", "2001:db8::1", "::1"])("accepts %j", (ip) => {
    expect(validateClientIp(ip)).toBe(ip);
  });

  test.each(["256.0.0.1", "example.com", "1.2.3"])("refuses %j", (ip) => {
    expect(refusal(() => validateClientIp(ip))).toMatchObject({ kind: "invalid_argument", message: `client_ip "${ip}" is not an IPv4 or IPv6 address` });
  });

  test("quotes at most 64 characters of a bad address", () => {
    expect(refusal(() => validateClientIp("x".repeat(100))).message).toBe(`client_ip "${"x".repeat(64)}" is not an IPv4 or IPv6 address`);
  });
});

describe("validateLocale", () => {
  test.each([undefined, ""])("%j means the fallback", (locale) => {
    expect(validateLocale(locale, "en")).toBe("en");
  });

  test.each(["en", "deu", "pt-BR", "pt_BR", "zh-Hant-TW", "en-a1-b2-c3", "sr-Latn-RS12345"])("accepts %j", (locale) => {
    expect(validateLocale(locale, "en")).toBe(locale);
  });

  test.each(["e", "engl", "en-", "en-B", "en-a1-b2-c3-d4", "en-123456789", "1n", "en BR"])("refuses %j", (locale) => {
    expect(refusal(() => validateLocale(locale, "en"))).toMatchObject({ kind: "invalid_argument", message: `locale "${locale}" is not a BCP 47 language tag` });
  });

  test("quotes at most 40 characters of a bad locale", () => {
    expect(refusal(() => validateLocale("x".repeat(50), "en")).message).toBe(`locale "${"x".repeat(40)}" is not a BCP 47 language tag`);
  });
});

describe("validateIdempotencyKey", () => {
  test.each([undefined, ""])("%j means no key", (key) => {
    expect(validateIdempotencyKey(key)).toBeUndefined();
  });

  test("accepts 255 characters and refuses 256", () => {
    expect(validateIdempotencyKey("k".repeat(255))).toBe("k".repeat(255));
    expect(refusal(() => validateIdempotencyKey("k".repeat(256)))).toMatchObject({
      kind: "invalid_argument",
      message: "idempotency_key is longer than 255 characters",
    });
  });
});

describe("startFingerprint", () => {
  const base = { phoneNumber: "+12025550100", channel: "sms" as const, codeLength: 6, locale: "en", metadata: { a: "1", b: "2" } };

  test("is 22 base64url characters, the same for the same request", () => {
    expect(startFingerprint(base)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(startFingerprint({ ...base })).toBe(startFingerprint(base));
  });

  test("does not depend on the order of metadata keys", () => {
    expect(startFingerprint({ ...base, metadata: { b: "2", a: "1" } })).toBe(startFingerprint(base));
    expect(startFingerprint({ ...base, metadata: { c: "3", a: "1", b: "2" } })).toBe(startFingerprint({ ...base, metadata: { a: "1", b: "2", c: "3" } }));
  });

  test.each([
    ["phone number", { phoneNumber: "+12025550101" }],
    ["channel", { channel: "voice" as const }],
    ["code length", { codeLength: 8 }],
    ["locale", { locale: "de" }],
    ["metadata value", { metadata: { a: "1", b: "3" } }],
    ["metadata key", { metadata: { a: "1", c: "2" } }],
  ])("changes with the %s", (_what, change) => {
    expect(startFingerprint({ ...base, ...change })).not.toBe(startFingerprint(base));
  });

  test("sorts many metadata keys given in reverse order", () => {
    const keys = "jihgfedcba".split("");
    const canonical = JSON.stringify(["+12025550100", "sms", 6, "en", [...keys].sort().map((k) => [k, k.toUpperCase()])]);
    const expected = createHash("sha256").update(canonical).digest("base64url").slice(0, 22);

    expect(startFingerprint({ ...base, metadata: Object.fromEntries(keys.map((k) => [k, k.toUpperCase()])) })).toBe(expected);
  });

  test("is the SHA-256 of the request in canonical JSON, metadata sorted by key, cut to 22 characters", () => {
    const canonical = JSON.stringify([
      "+12025550100",
      "sms",
      6,
      "en",
      [
        ["a", "1"],
        ["b", "2"],
        ["c", "3"],
      ],
    ]);
    const expected = createHash("sha256").update(canonical).digest("base64url").slice(0, 22);

    expect(startFingerprint({ ...base, metadata: { c: "3", a: "1", b: "2" } })).toBe(expected);
  });
});
