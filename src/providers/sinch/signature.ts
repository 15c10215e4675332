import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Compares two secrets in constant time, whatever their lengths. */
export function secretsEqual(given: string, expected: string): boolean {
  // Hashing first makes both sides the same length, so the comparison leaks neither content nor length.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The `token` query parameter of the URL Sinch called, compared with the configured secret. */
export function callbackTokenProblem(url: string, secret: string): string | undefined {
  let token: string | null;
  try {
    token = new URL(url).searchParams.get("token");
  } catch {
    return "callback URL unreadable";
  }
  if (!token) return "callback token missing";
  return secretsEqual(token, secret) ? undefined : "callback token does not match";
}

const HMAC_ALGORITHMS: Record<string, string> = { HmacSHA256: "sha256", HmacSHA384: "sha384", HmacSHA512: "sha512" };

export interface SinchSignedCallback {
  headers: Readonly<Record<string, string>>;
  body: Buffer;
}

/**
 * Checks Sinch's callback signature: `x-sinch-webhook-signature` is
 * Base64(HMAC(secret, raw body + "." + nonce + "." + timestamp)) with the
 * algorithm named in `x-sinch-webhook-signature-algorithm`, and the timestamp
 * (Unix seconds) must be within the replay window. Returns why it fails, or
 * undefined when it holds.
 */
export function sinchSignatureProblem(callback: SinchSignedCallback, secret: string, now: number, replayWindowMs: number): string | undefined {
  const signature = callback.headers["x-sinch-webhook-signature"];
  const timestamp = callback.headers["x-sinch-webhook-signature-timestamp"];
  const nonce = callback.headers["x-sinch-webhook-signature-nonce"];
  const algorithm = HMAC_ALGORITHMS[callback.headers["x-sinch-webhook-signature-algorithm"] ?? "HmacSHA256"];
  if (!signature || !timestamp || !nonce) return "missing x-sinch-webhook-signature headers";
  if (!algorithm) return "unsupported x-sinch-webhook-signature-algorithm";
  if (!/^\d{1,12}$/.test(timestamp)) return "malformed x-sinch-webhook-signature-timestamp";
  if (Math.abs(now - Number(timestamp) * 1000) > replayWindowMs) return "x-sinch-webhook-signature-timestamp outside the replay window";
  const expected = createHmac(algorithm, secret).update(callback.body).update(`.${nonce}.${timestamp}`).digest();
  const given = Buffer.from(signature, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : "x-sinch-webhook-signature does not match";
}
