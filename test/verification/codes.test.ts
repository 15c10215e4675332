import { createDecipheriv, createHmac, hkdfSync } from "node:crypto";
import { describe, expect, test } from "vitest";
import { CodeVault, cryptoRandom, generateCode, type RandomSource } from "../../src/verification/codes.js";

const SECRET = "codes-test-secret-0123456789";

/** A RandomSource whose draws come from a script, recording what was asked. */
function scripted(ints: number[], iv = Buffer.alloc(12, 7)) {
  const asked: Array<["int" | "bytes", number]> = [];
  const source: RandomSource = {
    int: (maxExclusive) => {
      asked.push(["int", maxExclusive]);
      const next = ints.shift();
      if (next === undefined) throw new Error("script used up");
      return next;
    },
    bytes: (length) => {
      asked.push(["bytes", length]);
      return Buffer.from(iv.subarray(0, length));
    },
  };
  return { source, asked };
}

describe("generateCode", () => {
  test("takes one draw below 10 per digit, in order", () => {
    const { source, asked } = scripted([3, 0, 9, 1, 7, 5]);

    expect(generateCode(6, source)).toBe("309175");
    expect(asked).toEqual(Array.from({ length: 6 }, () => ["int", 10]));
  });

  test("keeps leading zeros", () => {
    expect(generateCode(4, scripted([0, 0, 0, 0]).source)).toBe("0000");
  });

  test("a zero-length code is empty and draws nothing", () => {
    const { source, asked } = scripted([]);

    expect(generateCode(0, source)).toBe("");
    expect(asked).toEqual([]);
  });

  test.each([4, 6, 10])("with the CSPRNG makes %i decimal digits", (length) => {
    for (let i = 0; i < 200; i++) expect(generateCode(length, cryptoRandom)).toMatch(new RegExp(`^[0-9]{${length}}$`));
  });
});

describe("cryptoRandom", () => {
  test.each([0, -1, 1.5, Number.NaN, 2 ** 32 + 1, Number.POSITIVE_INFINITY])("refuses the range %s", (bad) => {
    expect(() => cryptoRandom.int(bad)).toThrow(new RangeError(`bad range ${bad}`));
  });

  test("accepts the edges of its range: 1 gives 0, 2^32 gives a 32-bit value", () => {
    for (let i = 0; i < 50; i++) expect(cryptoRandom.int(1)).toBe(0);
    for (let i = 0; i < 50; i++) {
      const value = cryptoRandom.int(2 ** 32);
      expect(Number.isInteger(value) && value >= 0 && value < 2 ** 32).toBe(true);
    }
  });

  test("draws every digit, each close to a tenth of the time", () => {
    const counts = new Array<number>(10).fill(0);
    const draws = 20_000;
    for (let i = 0; i < draws; i++) counts[cryptoRandom.int(10)]!++;

    // Far outside 6 sigma (sd ~ 42) would be a broken generator, not bad luck.
    for (const count of counts) expect(Math.abs(count - draws / 10)).toBeLessThan(300);
  });

  test("bytes returns the length asked, and different bytes each time", () => {
    const a = cryptoRandom.bytes(16);
    const b = cryptoRandom.bytes(16);

    expect(a).toHaveLength(16);
    expect(a.equals(b)).toBe(false);
    expect(cryptoRandom.bytes(5000)).toHaveLength(5000);
  });
});

describe("CodeVault.hash and matches", () => {
  test("the right code matches and any other does not", () => {
    const vault = new CodeVault(SECRET);
    const hash = vault.hash("ver_one", "123456");

    expect(vault.matches("ver_one", "123456", hash)).toBe(true);
    expect(vault.matches("ver_one", "123457", hash)).toBe(false);
    expect(vault.matches("ver_one", "12345", hash)).toBe(false);
    expect(vault.matches("ver_one", "1234560", hash)).toBe(false);
  });

  test("the hash is a base64url HMAC-SHA256, the same for the same id and code", () => {
    const vault = new CodeVault(SECRET);

    expect(vault.hash("ver_one", "123456")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(vault.hash("ver_one", "123456")).toBe(new CodeVault(SECRET).hash("ver_one", "123456"));
  });

  test("a secret given as bytes is the same secret as its UTF-8 text", () => {
    expect(new CodeVault(Buffer.from(SECRET, "utf8")).hash("ver_one", "1234")).toBe(new CodeVault(SECRET).hash("ver_one", "1234"));
  });

  test("the hash is bound to the verification id", () => {
    const vault = new CodeVault(SECRET);
    const hash = vault.hash("ver_one", "123456");

    expect(vault.hash("ver_two", "123456")).not.toBe(hash);
    expect(vault.matches("ver_two", "123456", hash)).toBe(false);
  });

  test("id and code are separated, so moving a digit between them changes the hash", () => {
    const vault = new CodeVault(SECRET);

    expect(vault.hash("ver_1", "23456")).not.toBe(vault.hash("ver_12", "3456"));
  });

  test("a hash made under another secret does not match", () => {
    expect(new CodeVault(SECRET).matches("ver_one", "123456", new CodeVault("other-secret-0123456789").hash("ver_one", "123456"))).toBe(false);
  });

  test("a malformed or truncated stored hash is a mismatch, not an exception", () => {
    const vault = new CodeVault(SECRET);
    const hash = vault.hash("ver_one", "123456");

    expect(vault.matches("ver_one", "123456", "short")).toBe(false);
    expect(vault.matches("ver_one", "123456", "")).toBe(false);
    expect(vault.matches("ver_one", "123456", hash.slice(0, -2))).toBe(false);
  });
});

describe("CodeVault keys", () => {
  const key = (info: string) => Buffer.from(hkdfSync("sha256", Buffer.from(SECRET, "utf8"), "verifyd", info, 32));

  test("the hash is HMAC-SHA256 of id, NUL, code under the HKDF key 'code-hmac' (salt 'verifyd') of the UTF-8 secret", () => {
    const expected = createHmac("sha256", key("code-hmac")).update("ver_é").update("\0").update("123456").digest("base64url");

    expect(new CodeVault(SECRET).hash("ver_é", "123456")).toBe(expected);
  });

  test("the sealed code is AES-256-GCM under the HKDF key 'code-seal', with the UTF-8 id as associated data", () => {
    const raw = Buffer.from(new CodeVault(SECRET).seal("ver_é", "123456"), "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key("code-seal"), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from("ver_é", "utf8"));
    decipher.setAuthTag(raw.subarray(raw.length - 16));

    expect(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8")).toBe("123456");
  });
});

describe("CodeVault.seal and unseal", () => {
  test("round-trips a code for the same id", () => {
    const vault = new CodeVault(SECRET);

    expect(vault.unseal("ver_one", vault.seal("ver_one", "0048213377"))).toBe("0048213377");
  });

  test("draws a fresh 12-byte IV from its random source and puts it first", () => {
    const iv = Buffer.from("000102030405060708090a0b", "hex");
    const { source, asked } = scripted([], iv);
    const vault = new CodeVault(SECRET, source);

    const sealed = Buffer.from(vault.seal("ver_one", "123456"), "base64url");

    expect(asked).toEqual([["bytes", 12]]);
    expect(sealed.subarray(0, 12).equals(iv)).toBe(true);
    // IV, a 6-byte body (GCM keeps the length), a 16-byte tag.
    expect(sealed).toHaveLength(12 + 6 + 16);
  });

  test("two seals of the same code differ (fresh IVs) and both unseal", () => {
    const vault = new CodeVault(SECRET);
    const a = vault.seal("ver_one", "123456");
    const b = vault.seal("ver_one", "123456");

    expect(a).not.toBe(b);
    expect([vault.unseal("ver_one", a), vault.unseal("ver_one", b)]).toEqual(["123456", "123456"]);
  });

  test("the sealed code does not contain the code in the clear", () => {
    const sealed = new CodeVault(SECRET).seal("ver_one", "987654");

    expect(sealed).not.toContain("987654");
    expect(Buffer.from(sealed, "base64url").toString("latin1")).not.toContain("987654");
  });

  test("unseal fails for another verification id", () => {
    const vault = new CodeVault(SECRET);

    expect(() => vault.unseal("ver_two", vault.seal("ver_one", "123456"))).toThrow();
  });

  test("unseal fails under another secret", () => {
    expect(() => new CodeVault("other-secret-0123456789").unseal("ver_one", new CodeVault(SECRET).seal("ver_one", "123456"))).toThrow();
  });

  test.each([
    ["the IV", 0],
    ["the body", 13],
    ["the tag", -1],
  ])("unseal fails when a bit of %s was flipped", (_part, index) => {
    const vault = new CodeVault(SECRET);
    const raw = Buffer.from(vault.seal("ver_one", "123456"), "base64url");
    const at = index < 0 ? raw.length + index : index;
    raw[at] = raw[at]! ^ 1;

    expect(() => vault.unseal("ver_one", raw.toString("base64url"))).toThrow();
  });

  test("sealing does not change the hash key: hash and seal keys are derived apart", () => {
    const vault = new CodeVault(SECRET);
    const sealed = Buffer.from(vault.seal("ver_one", "123456"), "base64url");

    expect(sealed.subarray(12).toString("base64url")).not.toContain(vault.hash("ver_one", "123456"));
  });
});
