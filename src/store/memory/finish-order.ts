/**
 * Ids of finished records in the order they finished, so that a full store
 * drops the oldest first. Adding, removing and finding the oldest are O(1)
 * (amortised): an array with a moving head, where a removed id leaves a stale
 * entry that is skipped, and the array is rebuilt once stale entries outnumber
 * live ones.
 *
 * Not a Set, though a Set keeps insertion order too: V8 leaves a hole for
 * each deleted entry until it rehashes, and an iterator walks over them, so
 * taking the first of a Set trimmed from the front costs O(n) (about 240 µs
 * at 200,000 ids, measured).
 */
export class FinishOrder {
  #ids: string[] = [];
  /** Entries before it are stale. */
  #head = 0;
  /** Each member's index in #ids; an entry at another index is stale. */
  readonly #index = new Map<string, number>();

  get size(): number {
    return this.#index.size;
  }

  has(id: string): boolean {
    return this.#index.has(id);
  }

  /** Appends `id` as the newest; one already present keeps its place. */
  add(id: string): void {
    if (this.#index.has(id)) return;
    // Only here, never in delete: iterating while deleting (purge) must not see the array move.
    if (this.#ids.length - this.#index.size > this.#index.size + 1_024) this.#rebuild();
    this.#index.set(id, this.#ids.length);
    this.#ids.push(id);
  }

  delete(id: string): void {
    this.#index.delete(id);
  }

  /** The id that finished first among those present. */
  oldest(): string | undefined {
    while (this.#head < this.#ids.length) {
      const id = this.#ids[this.#head]!;
      if (this.#index.get(id) === this.#head) return id;
      this.#head++;
    }
    return undefined;
  }

  /** The ids present, oldest first; deleting during the walk is safe. */
  *[Symbol.iterator](): IterableIterator<string> {
    const ids = this.#ids;
    for (let position = this.#head; position < ids.length; position++) {
      const id = ids[position]!;
      if (this.#index.get(id) === position) yield id;
    }
  }

  #rebuild(): void {
    const live: string[] = [];
    for (const id of this) {
      this.#index.set(id, live.length);
      live.push(id);
    }
    this.#ids = live;
    this.#head = 0;
  }
}
