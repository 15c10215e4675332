import { type Collection, MongoError } from "mongodb";
import { VerifyError } from "../../verification/errors.js";
import { isActive, type VerificationRecord } from "../../verification/model.js";
import { DuplicateKeyError, type UniqueField } from "../../verification/ports.js";
import type { VerificationDocument } from "./documents.js";
import { INDEX_NAMES } from "./indexes.js";

/**
 * A unique index refused a write. MongoDB answers code 11000; FerretDB v1
 * does too for inserts, but reports an update that breaks a unique index as
 * its SQLite constraint error.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (!(error instanceof MongoError)) return false;
  if (error.code === 11000 || error.code === 11001) return true;
  return /UNIQUE constraint failed|duplicate key/i.test(error.message);
}

/**
 * The unique field a duplicate-key error is about, when the server says:
 * MongoDB names the index (and its key pattern); FerretDB names it only for
 * updates. Undefined means the caller has to look.
 */
export function duplicateField(error: unknown): UniqueField | "id" | undefined {
  if (!(error instanceof MongoError)) return undefined;
  const keyPattern = (error as { keyPattern?: Record<string, unknown> }).keyPattern;
  const text = `${error.message} ${keyPattern ? Object.keys(keyPattern).join(",") : ""}`;
  if (text.includes(INDEX_NAMES.idempotencyKey) || keyPattern?.idempotencyKey !== undefined) return "idempotency_key";
  if (text.includes(INDEX_NAMES.activePhoneNumber) || keyPattern?.activePhoneNumber !== undefined) return "active_phone_number";
  if (keyPattern?._id !== undefined || /index: _id_ /.test(error.message)) return "id";
  return undefined;
}

/**
 * What the domain sees when the database fails: UNAVAILABLE, with the
 * driver's error kept as the cause for the log. Our own errors pass through.
 */
export function toStoreError(error: unknown, operation: string): unknown {
  if (error instanceof DuplicateKeyError || error instanceof VerifyError) return error;
  if (error instanceof MongoError) return VerifyError.unavailable(`the database is unavailable (${operation}); try again`, error);
  return error;
}

/** Which unique index refused the record: from the error when the server names it, else by looking. */
export async function uniqueFieldTaken(
  verifications: Collection<VerificationDocument>,
  error: unknown,
  record: VerificationRecord,
  maxTimeMS: number,
): Promise<UniqueField> {
  const named = duplicateField(error);
  if (named === "idempotency_key" || named === "active_phone_number") return named;
  if (named === undefined) {
    const options = { projection: { _id: 1 }, maxTimeMS: maxTimeMS };
    if (record.idempotencyKey !== undefined) {
      const holder = await verifications.findOne({ idempotencyKey: record.idempotencyKey }, options);
      if (holder && holder._id !== record.id) return "idempotency_key";
    }
    if (isActive(record)) {
      const holder = await verifications.findOne({ activePhoneNumber: record.phoneNumber }, options);
      if (holder && holder._id !== record.id) return "active_phone_number";
    }
    if (!(await verifications.findOne({ _id: record.id }, options))) {
      // The holder finished or was purged between the refusal and the look; the caller re-reads either way.
      return record.idempotencyKey !== undefined ? "idempotency_key" : "active_phone_number";
    }
  }
  throw new Error(`verification id ${record.id} is already taken`);
}
