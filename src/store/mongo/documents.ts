import type { EventFacts, EventType, VerificationEvent, VerificationRecord } from "../../verification/model.js";
import { isActive } from "../../verification/model.js";

/**
 * How many events a verification document keeps for Watch: enough for any
 * real verification (a handful of sends, receipts and checks), bounded so a
 * document cannot grow without end.
 */
export const EVENT_LOG_LIMIT = 64;

/** Metadata as a list: its keys are caller-chosen and may hold "." or "$", which field names may not. */
export interface MetadataEntry {
  key: string;
  value: string;
}

/** The record's own fields as stored: everything but `id` (the `_id`) and `metadata` (a list). */
export type RecordFields = Omit<VerificationRecord, "id" | "metadata"> & { metadata: MetadataEntry[] };

/** The verification as an event left it, without the code's hash or sealed copy. */
export type EventSnapshot = Omit<RecordFields, "codeHash" | "sealedCode">;

/** An event as stored: its typed facts kept as they are (plain data, no "$" keys). */
export interface StoredEvent extends EventFacts {
  sequence: number;
  type: EventType;
  at: number;
  verification: EventSnapshot;
}

/** One document per verification in the `verifications` collection. */
export interface VerificationDocument extends RecordFields {
  _id: string;
  /** The phone number while the verification is active, absent after: a sparse unique index allows one per number. */
  activePhoneNumber?: string;
  /** When the timer loop may claim the record: its due time, or the end of a lease held on it, whichever is later. */
  wakeAt?: number;
  /** "provider\0message id" of every attempt the provider accepted, for receipts that carry no reference. */
  providerMessageKeys: string[];
  /** When the TTL index (or the purge loop) deletes the document. */
  purgeAt: Date;
  /** The last EVENT_LOG_LIMIT events, written in the same operation as the state they describe. */
  events: StoredEvent[];
  /** Identifies the write that produced this version (fenced writes only; see conditional-writes.ts). */
  writeId?: string;
}

/** A change to one verification document, kept as plain data so a fence can hold it (no "$" keys). */
export interface RecordChange {
  set: Partial<VerificationDocument>;
  unset: string[];
  pushEvents: StoredEvent[];
}

/** Every field of the record, so a replacement can unset the optional ones it no longer has. */
const RECORD_KEYS = {
  id: true,
  phoneNumber: true,
  country: true,
  channel: true,
  status: true,
  attempts: true,
  createdAt: true,
  updatedAt: true,
  expiresAt: true,
  verifiedAt: true,
  checkAttemptsRemaining: true,
  fallbackChannels: true,
  codeLength: true,
  codeHash: true,
  sealedCode: true,
  locale: true,
  metadata: true,
  idempotencyKey: true,
  requestFingerprint: true,
  clientIp: true,
  traceContext: true,
  lastSendAt: true,
  dueAt: true,
  lease: true,
  sequence: true,
  version: true,
} satisfies Record<keyof VerificationRecord, true>;

const DERIVED_OPTIONAL_KEYS = ["activePhoneNumber", "wakeAt", "writeId"] as const;

export function providerMessageKey(provider: string, providerMessageId: string): string {
  return `${provider}\u0000${providerMessageId}`;
}

/** The document for a record at `version`, without its event log. */
export function toDocument(record: VerificationRecord, version: number, retentionMs: number): Omit<VerificationDocument, "events"> {
  const { id, metadata, ...fields } = record;
  const document: Omit<VerificationDocument, "events"> = {
    _id: id,
    ...fields,
    metadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    version,
    providerMessageKeys: record.attempts.flatMap((attempt) =>
      attempt.providerMessageId === undefined ? [] : [providerMessageKey(attempt.provider, attempt.providerMessageId)],
    ),
    purgeAt: new Date(Math.max(record.updatedAt, record.expiresAt) + retentionMs),
  };
  if (isActive(record)) document.activePhoneNumber = record.phoneNumber;
  if (record.dueAt !== undefined) document.wakeAt = record.lease ? Math.max(record.dueAt, record.lease.until) : record.dueAt;
  return withoutUndefined(document);
}

/** The change that turns the stored document into `record` at `version`, appending `events` to its log. */
export function replacementChange(record: VerificationRecord, version: number, retentionMs: number, events: readonly VerificationEvent[]): RecordChange {
  const { _id: _unchanged, ...set } = toDocument(record, version, retentionMs);
  const unset = [...Object.keys(RECORD_KEYS), ...DERIVED_OPTIONAL_KEYS].filter((key) => key !== "id" && !(key in set));
  return { set, unset, pushEvents: events.map((event) => toStoredEvent(event, version, retentionMs)) };
}

/** The MongoDB update document for a change. */
export function toUpdate(change: RecordChange): Record<string, unknown> {
  const update: Record<string, unknown> = { $set: change.set };
  if (change.unset.length > 0) update.$unset = Object.fromEntries(change.unset.map((key) => [key, ""]));
  if (change.pushEvents.length > 0) update.$push = { events: { $each: change.pushEvents, $slice: -EVENT_LOG_LIMIT } };
  return update;
}

export function fromDocument(document: VerificationDocument): VerificationRecord {
  const {
    _id,
    metadata,
    activePhoneNumber: _activePhoneNumber,
    wakeAt: _wakeAt,
    providerMessageKeys: _providerMessageKeys,
    purgeAt: _purgeAt,
    events: _events,
    writeId: _writeId,
    ...fields
  } = document;
  return { id: _id, ...fields, metadata: fromEntries(metadata) };
}

export function toStoredEvent(event: VerificationEvent, version: number, retentionMs: number): StoredEvent {
  const { _id: _verificationId, codeHash: _codeHash, sealedCode: _sealedCode, ...snapshot } = toDocument(event.verification, version, retentionMs);
  const {
    activePhoneNumber: _activePhoneNumber,
    wakeAt: _wakeAt,
    providerMessageKeys: _providerMessageKeys,
    purgeAt: _purgeAt,
    writeId: _writeId,
    ...verification
  } = snapshot;
  return withoutUndefined({
    sequence: event.sequence,
    type: event.type,
    provider: event.provider,
    attemptNumber: event.attemptNumber,
    cause: event.cause,
    error: event.error,
    skipped: event.skipped,
    offered: event.offered,
    attemptsLeft: event.attemptsLeft,
    at: event.at,
    verification,
  });
}

const EVENT_FACTS = ["provider", "attemptNumber", "cause", "error", "skipped", "offered", "attemptsLeft"] as const satisfies readonly (keyof EventFacts)[];

export function fromStoredEvent(verificationId: string, stored: StoredEvent): VerificationEvent {
  const { metadata, ...fields } = stored.verification;
  const event: VerificationEvent = {
    verificationId,
    sequence: stored.sequence,
    type: stored.type,
    // The code's hash never leaves the record: an event's snapshot carries an empty one.
    verification: { id: verificationId, ...fields, codeHash: "", metadata: fromEntries(metadata) },
    at: stored.at,
  };
  for (const fact of EVENT_FACTS) {
    if (stored[fact] !== undefined) (event as unknown as Record<string, unknown>)[fact] = stored[fact];
  }
  return event;
}

function fromEntries(entries: readonly MetadataEntry[] | undefined): Record<string, string> {
  return Object.fromEntries((entries ?? []).map(({ key, value }) => [key, value]));
}

/** Drops undefined fields, so a `$set` never writes them and a stored document never shows them. */
function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}
