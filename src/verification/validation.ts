import { createHash } from "node:crypto";
import { isIP } from "node:net";
import { VerifyError } from "./errors.js";
import type { Channel } from "./model.js";

export const METADATA_MAX_ENTRIES = 16;
export const METADATA_MAX_BYTES = 2048;
export const CODE_LENGTH_MIN = 4;
export const CODE_LENGTH_MAX = 10;

/** 0 means the configured default. */
export function resolveCodeLength(requested: number, fallback: number): number {
  if (requested === 0) return fallback;
  if (!Number.isInteger(requested) || requested < CODE_LENGTH_MIN || requested > CODE_LENGTH_MAX) {
    throw VerifyError.invalidArgument(`code_length must be 0 (default) or ${CODE_LENGTH_MIN} to ${CODE_LENGTH_MAX}, got ${requested}`);
  }
  return requested;
}

export function validateMetadata(metadata: Readonly<Record<string, string>>): void {
  const entries = Object.entries(metadata);
  if (entries.length > METADATA_MAX_ENTRIES) {
    throw VerifyError.invalidArgument(`metadata has ${entries.length} entries; at most ${METADATA_MAX_ENTRIES} are allowed`);
  }
  let bytes = 0;
  for (const [key, value] of entries) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  if (bytes > METADATA_MAX_BYTES) {
    throw VerifyError.invalidArgument(`metadata is ${bytes} bytes; at most ${METADATA_MAX_BYTES} are allowed (keys and values, UTF-8)`);
  }
}

export function validateCodeFormat(code: string): void {
  if (!/^[0-9]{4,10}$/.test(code)) {
    throw VerifyError.invalidArgument(`code must be ${CODE_LENGTH_MIN} to ${CODE_LENGTH_MAX} digits`);
  }
}

export function validateVerificationId(id: string): void {
  if (id === "") throw VerifyError.invalidArgument("verification_id is required");
  if (id.length > 64 || !/^[A-Za-z0-9_-]+$/.test(id)) throw VerifyError.invalidArgument("verification_id is malformed");
}

export function validateClientIp(ip: string | undefined): string | undefined {
  if (ip === undefined || ip === "") return undefined;
  if (isIP(ip) === 0) throw VerifyError.invalidArgument(`client_ip "${ip.slice(0, 64)}" is not an IPv4 or IPv6 address`);
  return ip;
}

export function validateLocale(locale: string | undefined, fallback: string): string {
  if (locale === undefined || locale === "") return fallback;
  // BCP 47 shape, loosely: "en", "pt-BR", "zh-Hant-TW".
  if (!/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$/.test(locale)) {
    throw VerifyError.invalidArgument(`locale "${locale.slice(0, 40)}" is not a BCP 47 language tag`);
  }
  return locale;
}

export function validateIdempotencyKey(key: string | undefined): string | undefined {
  if (key === undefined || key === "") return undefined;
  if (key.length > 255) throw VerifyError.invalidArgument("idempotency_key is longer than 255 characters");
  return key;
}

/** A digest of what makes two Starts "the same request" for idempotency. */
export function startFingerprint(input: {
  phoneNumber: string;
  channel: Channel;
  codeLength: number;
  locale: string;
  metadata: Readonly<Record<string, string>>;
}): string {
  const metadata = Object.entries(input.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify([input.phoneNumber, input.channel, input.codeLength, input.locale, metadata]);
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 22);
}
