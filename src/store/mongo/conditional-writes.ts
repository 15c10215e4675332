import { randomUUID } from "node:crypto";
import type { Collection } from "mongodb";
import { type RecordChange, toUpdate, type VerificationDocument } from "./documents.js";
import { isDuplicateKeyError } from "./errors.js";

/**
 * How a change is applied only if the record is still at the version it was
 * read at. Two ways, because the test server differs from the real one.
 */
export interface ConditionalWriter {
  readonly mode: "conditional" | "fenced";
  /** Applies `change` if the document is still at `version`; true when this call's change took effect. */
  apply(id: string, version: number, change: RecordChange): Promise<boolean>;
  /**
   * Brings a document just read up to date with changes already committed
   * but not yet applied to it; `reread` reads it again. Null when it is gone.
   */
  settle<T extends { _id: string; version: number }>(document: T, reread: () => Promise<T | null>): Promise<T | null>;
}

/**
 * MongoDB: one `updateOne({ _id, version })`. The server evaluates the filter
 * and applies the update atomically, so of two writers that read the same
 * version exactly one matches.
 */
export class ServerConditionalWriter implements ConditionalWriter {
  readonly mode = "conditional";

  constructor(
    private readonly verifications: Collection<VerificationDocument>,
    private readonly maxTimeMS: number,
  ) {}

  async apply(id: string, version: number, change: RecordChange): Promise<boolean> {
    const result = await this.verifications.updateOne({ _id: id, version }, toUpdate(change), { maxTimeMS: this.maxTimeMS });
    return result.matchedCount === 1;
  }

  async settle<T>(document: T): Promise<T | null> {
    return document;
  }
}

export interface FenceDocument {
  /** "<verification id>@<version the change starts from>" */
  _id: string;
  change: RecordChange;
  purgeAt: Date;
}

/**
 * How long a fence is kept. It matters only until its change is applied to
 * the record, which happens in the same call or at the next read; the margin
 * covers a reader that holds a version for longer than any operation timeout.
 */
export const FENCE_RETENTION_MS = 3_600_000;

/**
 * For servers that evaluate an update's filter and apply it as two steps
 * (FerretDB v1 reads the matching documents, then writes them back by _id,
 * so several writers holding the same version all "match"). Inserting a
 * document with a given _id is atomic everywhere, so each change from
 * version v first inserts the fence "<id>@v" holding the change: exactly one
 * writer per version succeeds, and that insert is the commit point. The
 * change is then applied to the record; should that fail (the process dies,
 * the database goes away), the next writer or reader finds the fence and
 * applies it (applying the same change twice gives the same document, so
 * racing appliers are harmless). Costs one more write per change and one
 * more read per read; only used where the server needs it.
 */
export class FencedWriter implements ConditionalWriter {
  readonly mode = "fenced";

  constructor(
    private readonly verifications: Collection<VerificationDocument>,
    private readonly fences: Collection<FenceDocument>,
    private readonly maxTimeMS: number,
    private readonly now: () => number,
  ) {}

  async apply(id: string, version: number, change: RecordChange): Promise<boolean> {
    const fenceId = fenceIdFor(id, version);
    const writeId = randomUUID();
    const fenced: RecordChange = { ...change, set: { ...change.set, writeId }, unset: change.unset.filter((key) => key !== "writeId") };
    try {
      await this.fences.insertOne({ _id: fenceId, change: fenced, purgeAt: new Date(this.now() + FENCE_RETENTION_MS) }, { maxTimeMS: this.maxTimeMS });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      // Another writer owns the change from this version; make sure it lands before our caller re-reads.
      await this.#applyFence(id, version).catch(() => undefined);
      return false;
    }
    let result;
    try {
      result = await this.verifications.updateOne({ _id: id, version }, toUpdate(fenced), { maxTimeMS: this.maxTimeMS });
    } catch (error) {
      if (isDuplicateKeyError(error)) {
        // The change breaks a unique index: it can never be applied, so it must not stay committed.
        await this.fences.deleteOne({ _id: fenceId }, { maxTimeMS: this.maxTimeMS }).catch(() => undefined);
        throw error;
      }
      // Committed by the fence; whoever reads the record next applies it.
      return true;
    }
    if (result.matchedCount === 1) return true;
    // Not matched: a reader applied our fence first (the record is past `version`), or the record is gone.
    const current = await this.verifications.findOne({ _id: id }, { projection: { version: 1 }, maxTimeMS: this.maxTimeMS });
    if (current && current.version > version) return true;
    await this.fences.deleteOne({ _id: fenceId }, { maxTimeMS: this.maxTimeMS }).catch(() => undefined);
    return false;
  }

  async settle<T extends { _id: string; version: number }>(document: T, reread: () => Promise<T | null>): Promise<T | null> {
    let current: T | null = document;
    // Each round applies one committed change; more than a few in a row means writers are racing ahead, which is fine to return.
    for (let round = 0; current && round < 8; round++) {
      if (!(await this.#applyFence(current._id, current.version))) return current;
      current = await reread();
    }
    return current;
  }

  /** Applies the fence committed from `version`, if there is one; true when there was. */
  async #applyFence(id: string, version: number): Promise<boolean> {
    const fence = await this.fences.findOne({ _id: fenceIdFor(id, version) }, { maxTimeMS: this.maxTimeMS });
    if (!fence) return false;
    try {
      await this.verifications.updateOne({ _id: id, version }, toUpdate(fence.change), { maxTimeMS: this.maxTimeMS });
    } catch (error) {
      // Its owner found it breaks a unique index and is withdrawing it.
      if (!isDuplicateKeyError(error)) throw error;
    }
    return true;
  }
}

function fenceIdFor(id: string, version: number): string {
  return `${id}@${version}`;
}
