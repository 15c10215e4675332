import { createPublicKey, type KeyObject, verify } from "node:crypto";

/** True when `base64` is a canonical base64 encoding of 32 bytes, the raw Ed25519 key Telnyx shows. */
export function isTelnyxPublicKey(base64: string): boolean {
  const raw = Buffer.from(base64.trim(), "base64");
  return raw.length === 32 && raw.toString("base64") === base64.trim();
}

/**
 * Turns the key Mission Control shows into a KeyObject. Telnyx publishes the
 * bare 32-byte key, not PEM or DER, so it goes in as an OKP JWK.
 */
export function telnyxPublicKey(base64: string): KeyObject {
  if (!isTelnyxPublicKey(base64)) throw new Error("not a base64 Ed25519 public key");
  const x = Buffer.from(base64.trim(), "base64").toString("base64url");
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
}

export interface SignedWebhook {
  /** `telnyx-signature-ed25519`: base64 of a 64-byte signature. */
  signature: string | undefined;
  /** `telnyx-timestamp`: Unix seconds when Telnyx signed. */
  timestamp: string | undefined;
  body: Buffer;
}

/**
 * Checks a Telnyx webhook: the Ed25519 signature over `${timestamp}|${raw body}`
 * and a timestamp within `replayWindowMs` of now, in both directions (a
 * future timestamp would let a captured receipt be replayed for longer).
 * Returns why it fails, or undefined when it holds.
 */
export function telnyxSignatureProblem(webhook: SignedWebhook, publicKey: KeyObject, now: number, replayWindowMs: number): string | undefined {
  const { signature, timestamp, body } = webhook;
  if (!signature || !timestamp) return "missing telnyx-signature-ed25519 or telnyx-timestamp";
  if (!/^\d{1,12}$/.test(timestamp)) return "malformed telnyx-timestamp";
  if (Math.abs(now - Number(timestamp) * 1000) > replayWindowMs) return "telnyx-timestamp outside the replay window";
  const signatureBytes = Buffer.from(signature, "base64");
  if (signatureBytes.length !== 64) return "malformed telnyx-signature-ed25519";
  // The exact bytes Telnyx sent: re-serialized JSON would not verify.
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, "utf8"), body]);
  return verify(null, signed, publicKey, signatureBytes) ? undefined : "telnyx-signature-ed25519 does not match";
}
