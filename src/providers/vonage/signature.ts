import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { VonageSignatureMethod } from "./config.js";

const HMAC_ALGORITHMS: Record<Exclude<VonageSignatureMethod, "md5hash">, string> = {
  md5hmac: "md5",
  sha1hmac: "sha1",
  sha256hmac: "sha256",
  sha512hmac: "sha512",
};

/**
 * The `sig` of a signed SMS API webhook, as Vonage's "Signing messages" guide
 * describes it: every parameter but `sig`, sorted by name, joined as
 * "&name=value" (with "&" and "=" inside values replaced by "_"), then either
 * an MD5 of that string followed by the signature secret ("md5hash") or an
 * HMAC of it keyed with the secret. Hex.
 *
 * @example
 * vonageSignature({ messageId: "0A00", status: "delivered", timestamp: "1385047698" }, secret, "md5hash")
 */
export function vonageSignature(params: Readonly<Record<string, string>>, secret: string, method: VonageSignatureMethod): string {
  const signed = Object.keys(params)
    .filter((name) => name !== "sig")
    .sort()
    .map((name) => `&${name}=${params[name]!.replace(/[&=]/g, "_")}`)
    .join("");
  if (method === "md5hash")
    return createHash("md5")
      .update(signed + secret, "utf8")
      .digest("hex");
  return createHmac(HMAC_ALGORITHMS[method], secret).update(signed, "utf8").digest("hex");
}

/** Whether `sig` is Vonage's for these parameters; hex compared case-insensitively, in constant time. */
export function isVonageSignature(params: Readonly<Record<string, string>>, sig: string, secret: string, method: VonageSignatureMethod): boolean {
  const expected = Buffer.from(vonageSignature(params, secret, method).toLowerCase(), "utf8");
  const given = Buffer.from(sig.toLowerCase(), "utf8");
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface VonageWebhookClaims {
  iat?: number;
  exp?: number;
  payload_hash?: string;
  api_key?: string;
  application_id?: string;
  [claim: string]: unknown;
}

/**
 * Verifies the `Authorization: Bearer` JWT of a signed Voice (or Messages) API
 * webhook: HS256 keyed with the signature secret, and its `payload_hash` claim
 * the SHA-256 of the body, so a captured token cannot vouch for another body.
 * Returns the claims, or undefined when anything does not hold.
 */
export function verifyVonageWebhookJwt(token: string, secret: string, body: Buffer): VonageWebhookClaims | undefined {
  const [header, payload, signature, ...extra] = token.split(".");
  if (!header || !payload || !signature || extra.length > 0) return undefined;
  const algorithm = parseSegment(header)?.alg;
  // Only HS256: a token cannot pick a weaker algorithm (or "none") for itself.
  if (algorithm !== "HS256") return undefined;
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  const claims = parseSegment(payload) as VonageWebhookClaims | undefined;
  if (!claims || typeof claims.payload_hash !== "string") return undefined;
  const bodyHash = Buffer.from(createHash("sha256").update(body).digest("hex"), "utf8");
  const claimed = Buffer.from(claims.payload_hash.toLowerCase(), "utf8");
  if (bodyHash.length !== claimed.length || !timingSafeEqual(bodyHash, claimed)) return undefined;
  return claims;
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
