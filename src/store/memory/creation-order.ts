import { decodePageToken, encodePageToken, matchesQuery, pageSizeOf } from "../../verification/listing.js";
import type { VerificationRecord } from "../../verification/model.js";
import type { VerificationPage, VerificationQuery } from "../../verification/ports.js";

/**
 * Records one page looks at, at most. A filter that matches little would
 * otherwise walk the whole store in one go (about 50 ms at 200,000 records,
 * measured), holding up every other request; past this a page comes back
 * short, even empty, with a token that goes on from where it stopped, as
 * AIP-158 allows: a few milliseconds at most.
 */
export const LIST_SCAN_LIMIT = 10_000;

/**
 * Every record's place in creation order, so that ListVerifications pages
 * newest first without sorting the store. Two parallel arrays (creation time,
 * id) kept sorted ascending by (createdAt, id): two array slots a record
 * (16 bytes, plus the arrays' growth slack) and no object per entry, since
 * the memory store's bound is its heap. Records are
 * nearly always inserted in creation order, so adding is an append; one that
 * is not (two Starts racing to insert) goes in place by binary search. A
 * removed record leaves a stale entry, skipped by asking the store whether
 * the id still holds a record of that creation time, and dropped by a rebuild
 * once stale entries outnumber live ones.
 */
export class CreationOrder {
  #times: number[] = [];
  #ids: string[] = [];
  #live = 0;
  readonly #recordOf: (id: string) => VerificationRecord | undefined;

  /** `recordOf`: the store's current record for an id, undefined once removed. */
  constructor(recordOf: (id: string) => VerificationRecord | undefined) {
    this.#recordOf = recordOf;
  }

  add(createdAt: number, id: string): void {
    const last = this.#times.length - 1;
    if (last < 0 || compare(this.#times[last]!, this.#ids[last]!, createdAt, id) <= 0) {
      this.#times.push(createdAt);
      this.#ids.push(id);
    } else {
      const at = this.#lowerBound(createdAt, id);
      this.#times.splice(at, 0, createdAt);
      this.#ids.splice(at, 0, id);
    }
    this.#live++;
  }

  /** After the store dropped the record (or changed its creation time): its entry is stale from now on. */
  delete(): void {
    this.#live--;
    if (this.#times.length - this.#live > this.#live + 1_024) this.#rebuild();
  }

  /**
   * One page of the records matching `query`, newest first, and the token
   * for the next page when there is one. Walks back from the query's upper
   * bound (its page token, or created_before), stops at created_after, and
   * looks at LIST_SCAN_LIMIT entries at most.
   */
  page(query: VerificationQuery): VerificationPage {
    const size = pageSizeOf(query);
    let from = this.#times.length;
    if (query.pageToken) {
      const cursor = decodePageToken(query.pageToken);
      from = this.#lowerBound(cursor.createdAt, cursor.id);
    }
    // (createdBefore, "") sorts before every id of that time: the walk starts at the last record created earlier.
    if (query.createdBefore !== undefined) from = Math.min(from, this.#lowerBound(query.createdBefore, ""));
    const verifications: VerificationRecord[] = [];
    const stop = Math.max(0, from - LIST_SCAN_LIMIT);
    for (let index = from - 1; index >= 0; index--) {
      const createdAt = this.#times[index]!;
      if (query.createdAfter !== undefined && createdAt < query.createdAfter) break;
      if (index < stop) return { verifications, nextPageToken: encodePageToken({ createdAt: this.#times[stop]!, id: this.#ids[stop]! }) };
      const record = this.#recordOf(this.#ids[index]!);
      if (!record || record.createdAt !== createdAt || !matchesQuery(record, query)) continue;
      if (verifications.length === size) return { verifications, nextPageToken: encodePageToken(verifications.at(-1)!) };
      verifications.push(record);
    }
    return { verifications };
  }

  /** The first index whose entry is not below (createdAt, id). */
  #lowerBound(createdAt: number, id: string): number {
    let low = 0;
    let high = this.#times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(this.#times[middle]!, this.#ids[middle]!, createdAt, id) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #rebuild(): void {
    const times: number[] = [];
    const ids: string[] = [];
    for (let index = 0; index < this.#times.length; index++) {
      const record = this.#recordOf(this.#ids[index]!);
      if (record?.createdAt !== this.#times[index]) continue;
      times.push(this.#times[index]!);
      ids.push(this.#ids[index]!);
    }
    this.#times = times;
    this.#ids = ids;
  }
}

/** Ascending (createdAt, id); ids compare as MongoDB compares them (they are ASCII). */
function compare(timeA: number, idA: string, timeB: number, idB: string): number {
  if (timeA !== timeB) return timeA - timeB;
  return idA < idB ? -1 : idA > idB ? 1 : 0;
}
