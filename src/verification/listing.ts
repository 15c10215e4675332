/**
 * Listing verifications for operators (ListVerifications): the page size
 * bounds, the query's validation, the newest-first order, the filter and the
 * page token. Every store lists through these, so the memory store and
 * MongoDB order, filter and page alike, and a token means the same to both.
 */
import { VerifyError } from "./errors.js";
import type { VerificationRecord } from "./model.js";
import type { VerificationQuery } from "./ports.js";

export const DEFAULT_PAGE_SIZE = 25;
/** Past it a request is served this many (AIP-158: a larger page_size is coerced, not refused). */
export const MAX_PAGE_SIZE = 100;

/** Where a page ended: its last record's place in the newest-first order. */
export interface ListCursor {
  createdAt: number;
  id: string;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const COUNTRY = /^[A-Z]{2}$/;
/** As a provider's name is configured (src/providers/base-config.ts). */
const PROVIDER = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const TOKEN_VERSION = "v1";

/**
 * The query as the stores expect it: country upper-cased, statuses without
 * repeats, and every field a store cannot answer refused here with
 * INVALID_ARGUMENT and a message naming it.
 */
export function validateListQuery(query: VerificationQuery): VerificationQuery {
  const valid: VerificationQuery = { pageSize: pageSizeOf(query) };
  if (query.statuses && query.statuses.length > 0) valid.statuses = [...new Set(query.statuses)];
  const country = query.country?.trim().toUpperCase();
  if (country) {
    if (!COUNTRY.test(country)) throw VerifyError.invalidArgument(`country must be an ISO 3166-1 alpha-2 code such as "DE", got ${quoted(query.country!)}`);
    valid.country = country;
  }
  const provider = query.provider?.trim();
  if (provider) {
    if (!PROVIDER.test(provider)) throw VerifyError.invalidArgument(`provider must be a provider name (a-z, 0-9, - and _), got ${quoted(provider)}`);
    valid.provider = provider;
  }
  if (query.createdAfter !== undefined) valid.createdAfter = query.createdAfter;
  if (query.createdBefore !== undefined) valid.createdBefore = query.createdBefore;
  if (valid.createdAfter !== undefined && valid.createdBefore !== undefined && valid.createdAfter >= valid.createdBefore) {
    throw VerifyError.invalidArgument("created_after must be earlier than created_before");
  }
  if (query.pageToken) {
    decodePageToken(query.pageToken);
    valid.pageToken = query.pageToken;
  }
  return valid;
}

/** The page size a store serves: DEFAULT_PAGE_SIZE for 0 (or none), at most MAX_PAGE_SIZE. */
export function pageSizeOf(query: Pick<VerificationQuery, "pageSize">): number {
  const asked = query.pageSize ?? 0;
  if (!Number.isInteger(asked) || asked < 0) throw VerifyError.invalidArgument(`page_size must be a whole number from 0 to ${MAX_PAGE_SIZE}, got ${asked}`);
  return asked === 0 ? DEFAULT_PAGE_SIZE : Math.min(asked, MAX_PAGE_SIZE);
}

/**
 * The token for the page after `cursor`. Opaque to callers; versioned inside
 * so that a later format can tell an old token from a forged one.
 */
export function encodePageToken(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([TOKEN_VERSION, cursor.createdAt, cursor.id])).toString("base64url");
}

/** The cursor a token holds; INVALID_ARGUMENT for anything encodePageToken did not make. */
export function decodePageToken(token: string): ListCursor {
  const refused = () => VerifyError.invalidArgument("page_token is not one this server issued; list again from the first page (no page_token)");
  if (token.length > 256 || !/^[A-Za-z0-9_-]+$/.test(token)) throw refused();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw refused();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3 || parsed[0] !== TOKEN_VERSION) throw refused();
  const [, createdAt, id] = parsed as [string, unknown, unknown];
  if (typeof createdAt !== "number" || !Number.isSafeInteger(createdAt) || createdAt < 0 || typeof id !== "string" || !ID.test(id)) throw refused();
  return { createdAt, id };
}

/**
 * Newest first: createdAt descending, then id descending. Ids are ASCII, so
 * JavaScript's comparison is MongoDB's byte order and both stores agree.
 */
export function newestFirst(a: ListCursor, b: ListCursor): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Whether `record` comes after `cursor` in newest-first order, i.e. on a later page. */
export function isPastCursor(record: ListCursor, cursor: ListCursor): boolean {
  return newestFirst(cursor, record) < 0;
}

/** Whether `record` passes the query's filters (the page token and size aside). */
export function matchesQuery(record: VerificationRecord, query: VerificationQuery): boolean {
  if (query.statuses && query.statuses.length > 0 && !query.statuses.includes(record.status)) return false;
  if (query.country !== undefined && record.country !== query.country) return false;
  if (query.createdAfter !== undefined && record.createdAt < query.createdAfter) return false;
  if (query.createdBefore !== undefined && record.createdAt >= query.createdBefore) return false;
  if (query.provider !== undefined && !record.attempts.some((attempt) => attempt.provider === query.provider)) return false;
  return true;
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
