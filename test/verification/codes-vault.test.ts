import { describe, expect, test } from "vitest";
import { CodeVault, cryptoRandom, generateCode, type RandomSource } from "../../src/verification/codes.js";
import { seededRandom } from "../support/fakes.js";
import { createHarness, PHONE } from "../support/service-harness.js";

const SECRET = "codes-test-secret-0123456789";

describe("generateCode", () => {
  test.each([4, 6, 10])("makes a code of exactly %i decimal digits", (length) => {
    for (const random of [cryptoRandom, seededRandom(length)]) {
      for (let i = 0; i < 50; i++) expect(generateCode(length, random)).toMatch(new RegExp(`^[0-9]{${length}}$`));
    }
  });

  test("takes one uniform draw below 10 per digit, in order", () => {
    const draws: number[] = [];
    const digits = [3, 0, 9, 1, 7, 5];
    const scripted: RandomSource = {
      int: (maxExclusive) => {
        draws.push(maxExclusive);
        return digits[draws.length - 1]!;
      },
      bytes: () => Buffer.alloc(0),
    };

    expect(generateCode(6, scripted)).toBe("309175");
    expect(draws).toEqual([10, 10, 10, 10, 10, 10]);
  });
});

describe("CodeVault", () => {
  test("matches is true for the right code and false for any other", () => {
    const vault = new CodeVault(SECRET);
    const hash = vault.hash("ver_one", "123456");

    expect(vault.matches("ver_one", "123456", hash)).toBe(true);
    expect(vault.matches("ver_one", "123457", hash)).toBe(false);
    expect(vault.matches("ver_one", "12345", hash)).toBe(false);
    expect(vault.matches("ver_one", "1234560", hash)).toBe(false);
  });

  test("binds the hash to the verification id, so the same code under another id does not match", () => {
    const vault = new CodeVault(SECRET);
    const hash = vault.hash("ver_one", "123456");

    expect(vault.hash("ver_two", "123456")).not.toBe(hash);
    expect(vault.matches("ver_two", "123456", hash)).toBe(false);
  });

  test("a hash made with another secret does not match", () => {
    const hash = new CodeVault("another-secret-0123456789").hash("ver_one", "123456");

    expect(new CodeVault(SECRET).matches("ver_one", "123456", hash)).toBe(false);
  });

  test("a malformed stored hash is a mismatch, not an exception", () => {
    expect(new CodeVault(SECRET).matches("ver_one", "123456", "short")).toBe(false);
  });

  test("seal and unseal round-trip a code for the same id", () => {
    const vault = new CodeVault(SECRET, seededRandom(1));

    expect(vault.unseal("ver_one", vault.seal("ver_one", "0048213377"))).toBe("0048213377");
  });

  test("a sealed code does not contain the code in the clear", () => {
    const vault = new CodeVault(SECRET, seededRandom(1));
    const sealed = vault.seal("ver_one", "987654");

    expect(sealed).not.toContain("987654");
    expect(Buffer.from(sealed, "base64url").toString("latin1")).not.toContain("987654");
  });

  test("unseal fails for another verification id", () => {
    const vault = new CodeVault(SECRET, seededRandom(1));
    const sealed = vault.seal("ver_one", "123456");

    expect(() => vault.unseal("ver_two", sealed)).toThrow();
  });

  test("unseal fails under another secret", () => {
    const sealed = new CodeVault(SECRET, seededRandom(1)).seal("ver_one", "123456");

    expect(() => new CodeVault("another-secret-0123456789").unseal("ver_one", sealed)).toThrow();
  });
});

describe("the stored verification", () => {
  test("never contains the plaintext code, only its hash and sealed copy", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE, codeLength: 10 });
    const code = h.provider("sms-a").sent[0]!.code;

    const stored = await h.store.get(record.id);

    expect(JSON.stringify(stored)).not.toContain(code);
    expect(h.vault.matches(record.id, code, stored!.codeHash)).toBe(true);
    expect(h.vault.unseal(record.id, stored!.sealedCode!)).toBe(code);
    expect(h.store.published.some((event) => JSON.stringify(event).includes(code))).toBe(false);
  });
});
