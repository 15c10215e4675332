/**
 * A binary min-heap of (time, id) wake-ups. Entries are never removed from the
 * middle: a record that is rescheduled simply gets a new entry, and the old one
 * is recognised as stale when it surfaces (see MemoryStore#due).
 * Parallel arrays keep 100,000 pending timers to a few megabytes.
 */
export class DueQueue {
  #times: number[] = [];
  #ids: string[] = [];

  get size(): number {
    return this.#times.length;
  }

  peekTime(): number | undefined {
    return this.#times[0];
  }

  push(time: number, id: string): void {
    const times = this.#times;
    const ids = this.#ids;
    let index = times.length;
    times.push(time);
    ids.push(id);
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (times[parent]! <= time) break;
      times[index] = times[parent]!;
      ids[index] = ids[parent]!;
      index = parent;
    }
    times[index] = time;
    ids[index] = id;
  }

  pop(): [number, string] | undefined {
    const times = this.#times;
    const ids = this.#ids;
    if (times.length === 0) return undefined;
    const top: [number, string] = [times[0]!, ids[0]!];
    const lastTime = times.pop()!;
    const lastId = ids.pop()!;
    const length = times.length;
    if (length > 0) {
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= length) break;
        const right = left + 1;
        const child = right < length && times[right]! < times[left]! ? right : left;
        if (times[child]! >= lastTime) break;
        times[index] = times[child]!;
        ids[index] = ids[child]!;
        index = child;
      }
      times[index] = lastTime;
      ids[index] = lastId;
    }
    return top;
  }
}
