import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

/** Randomness the domain uses, injected so tests can make it predictable. */
export interface RandomSource {
  /** A uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  bytes(length: number): Buffer;
}

export const cryptoRandom: RandomSource = {
  int: (maxExclusive) => randomInt(maxExclusive),
  bytes: (length) => randomBytes(length),
};

/** A code of `length` decimal digits, every digit uniform (no modulo bias: randomInt rejects). */
export function generateCode(length: number, random: RandomSource): string {
  let code = "";
  // Digits one at a time: 10**10 would exceed what randomInt takes in one go with headroom.
  for (let i = 0; i < length; i++) code += String(random.int(10));
  return code;
}

/**
 * Keeps codes out of storage. Check compares an HMAC-SHA256 bound to the
 * verification id, so a hash copied to another verification is useless; the
 * sealed copy (AES-256-GCM, the id as associated data) exists only so that a
 * failover can resend the same code, and is erased when the verification ends.
 * Both keys are derived from the one configured secret with HKDF.
 */
export class CodeVault {
  readonly #hmacKey: Buffer;
  readonly #sealKey: Buffer;
  readonly #random: RandomSource;

  constructor(secret: string | Buffer, random: RandomSource = cryptoRandom) {
    const ikm = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
    this.#hmacKey = Buffer.from(hkdfSync("sha256", ikm, "verifyd", "code-hmac", 32));
    this.#sealKey = Buffer.from(hkdfSync("sha256", ikm, "verifyd", "code-seal", 32));
    this.#random = random;
  }

  hash(verificationId: string, code: string): string {
    return this.#digest(verificationId, code).toString("base64url");
  }

  /** Constant-time: the comparison takes as long whichever digit is wrong. */
  matches(verificationId: string, code: string, storedHash: string): boolean {
    const expected = Buffer.from(storedHash, "base64url");
    const actual = this.#digest(verificationId, code);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  seal(verificationId: string, code: string): string {
    const iv = this.#random.bytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#sealKey, iv);
    cipher.setAAD(Buffer.from(verificationId, "utf8"));
    const body = Buffer.concat([cipher.update(code, "utf8"), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
  }

  /** Throws when the sealed code was made with another key or for another verification. */
  unseal(verificationId: string, sealed: string): string {
    const raw = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", this.#sealKey, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(verificationId, "utf8"));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
  }

  #digest(verificationId: string, code: string): Buffer {
    return createHmac("sha256", this.#hmacKey).update(verificationId).update("\0").update(code).digest();
  }
}
