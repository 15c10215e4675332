import { describe, expect, test } from "vitest";
import { DueQueue } from "../../../src/store/memory/due-queue.js";
import { seededGenerator } from "../../support/fakes.js";

describe("DueQueue", () => {
  test("is empty when new: nothing to peek or pop", () => {
    const queue = new DueQueue();

    expect(queue.size).toBe(0);
    expect(queue.peekTime()).toBeUndefined();
    expect(queue.pop()).toBeUndefined();
  });

  test("pops entries in time order for many random inputs, losing none", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededGenerator(seed);
      const queue = new DueQueue();
      const count = Math.floor(random() * 300);
      // A narrow time range forces many equal times.
      const range = seed % 2 === 0 ? 20 : 1_000_000;
      const pushed: Array<[number, string]> = [];
      for (let i = 0; i < count; i++) {
        const entry: [number, string] = [Math.floor(random() * range), `id-${i}`];
        pushed.push(entry);
        queue.push(...entry);
      }
      expect(queue.size).toBe(count);

      const popped: Array<[number, string]> = [];
      for (let entry = queue.pop(); entry; entry = queue.pop()) popped.push(entry);

      const outOfOrder = popped.findIndex((entry, i) => i > 0 && entry[0] < popped[i - 1]![0]);
      expect(outOfOrder, `seed ${seed}: popped out of time order`).toBe(-1);
      const byId = (a: [number, string], b: [number, string]) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
      expect([...popped].sort(byId)).toEqual([...pushed].sort(byId));
      expect(queue.size).toBe(0);
    }
  });

  test("stays ordered when pushes and pops interleave, and peekTime is always the next pop", () => {
    const random = seededGenerator(99);
    const queue = new DueQueue();
    // A sorted array as the reference model: insert in place, take from the front.
    const reference: number[] = [];
    const mismatches: string[] = [];
    for (let step = 0; step < 5_000; step++) {
      if (reference.length === 0 || random() < 0.6) {
        const time = Math.floor(random() * 10_000);
        queue.push(time, `id-${step}`);
        let at = reference.findIndex((t) => t > time);
        if (at === -1) at = reference.length;
        reference.splice(at, 0, time);
      } else {
        const peeked = queue.peekTime();
        const popped = queue.pop()?.[0];
        const expected = reference.shift();
        if (peeked !== expected || popped !== expected) mismatches.push(`step ${step}: peek ${peeked}, pop ${popped}, expected ${expected}`);
      }
      if (queue.size !== reference.length) mismatches.push(`step ${step}: size ${queue.size}, expected ${reference.length}`);
    }
    expect(mismatches).toEqual([]);
  });
});
