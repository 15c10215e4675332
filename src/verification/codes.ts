import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, type KeyObject, randomFillSync, timingSafeEqual } from "node:crypto";

/** Randomness the domain uses, injected so tests can make it predictable. */
export interface RandomSource {
  /** A uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  bytes(length: number): Buffer;
}

/**
 * The CSPRNG, drawn from a pooled buffer: one randomFillSync per 4 KiB instead
 * of a system call per id, IV and digit (the same technique uuid uses).
 */
class PooledCryptoRandom implements RandomSource {
  readonly #pool = Buffer.allocUnsafe(4096);
  #offset = this.#pool.length;

  bytes(length: number): Buffer {
    if (length > this.#pool.length) return randomFillSync(Buffer.allocUnsafe(length));
    const at = this.#take(length);
    // A copy, so later draws never alias bytes handed out before.
    return Buffer.from(this.#pool.subarray(at, at + length));
  }

  /** Uniform by rejection: 32-bit draws at or above the largest multiple of `maxExclusive` are thrown away. */
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 2 ** 32) throw new RangeError(`bad range ${maxExclusive}`);
    const limit = 2 ** 32 - (2 ** 32 % maxExclusive);
    for (;;) {
      const value = this.#pool.readUInt32BE(this.#take(4));
      if (value < limit) return value % maxExclusive;
    }
  }

  #take(length: number): number {
    if (this.#offset + length > this.#pool.length) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const at = this.#offset;
    this.#offset += length;
    return at;
  }
}

export const cryptoRandom: RandomSource = new PooledCryptoRandom();

/** A code of `length` decimal digits, every digit uniform (no modulo bias: randomInt rejects). */
export function generateCode(length: number, random: RandomSource): string {
  let code = "";
  // Digits one at a time, each uniform: a 10-digit range would not fit one 32-bit draw.
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
  // KeyObjects, not Buffers: Node re-validates a raw key on every createHmac/createCipheriv call.
  readonly #hmacKey: KeyObject;
  readonly #sealKey: KeyObject;
  readonly #random: RandomSource;

  constructor(secret: string | Buffer, random: RandomSource = cryptoRandom) {
    const ikm = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
    this.#hmacKey = createSecretKey(Buffer.from(hkdfSync("sha256", ikm, "verifyd", "code-hmac", 32)));
    this.#sealKey = createSecretKey(Buffer.from(hkdfSync("sha256", ikm, "verifyd", "code-seal", 32)));
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
