import { describe, expect, test } from "vitest";
import { FinishOrder } from "../../../src/store/memory/finish-order.js";

describe("FinishOrder", () => {
  test("gives the ids back oldest first, and the oldest is the first added", () => {
    const order = new FinishOrder();
    for (const id of ["a", "b", "c"]) order.add(id);

    expect([...order]).toEqual(["a", "b", "c"]);
    expect(order.oldest()).toBe("a");
    expect(order.size).toBe(3);
  });

  test("an id added again keeps its first place", () => {
    const order = new FinishOrder();
    for (const id of ["a", "b", "a"]) order.add(id);

    expect([...order]).toEqual(["a", "b"]);
  });

  test("an id deleted and added again goes to the end", () => {
    const order = new FinishOrder();
    for (const id of ["a", "b", "c"]) order.add(id);
    order.delete("a");
    order.add("a");

    expect([...order]).toEqual(["b", "c", "a"]);
    expect(order.oldest()).toBe("b");
  });

  test("has no oldest when empty, or when every id was deleted", () => {
    const order = new FinishOrder();
    expect(order.oldest()).toBeUndefined();
    order.add("a");
    order.delete("a");

    expect(order.oldest()).toBeUndefined();
    expect(order.has("a")).toBe(false);
    expect(order.size).toBe(0);
  });

  test("deleting while walking the ids skips the deleted and visits the rest", () => {
    const order = new FinishOrder();
    for (const id of ["a", "b", "c", "d"]) order.add(id);
    const seen: string[] = [];
    for (const id of order) {
      seen.push(id);
      if (id === "a") order.delete("c");
      order.delete(id);
    }

    expect(seen).toEqual(["a", "b", "d"]);
    expect(order.size).toBe(0);
  });

  test("keeps its order across the rebuilds that drop stale entries", () => {
    const order = new FinishOrder();
    for (let i = 0; i < 5_000; i++) order.add(`id-${i}`);
    // Deleted from the middle and the front, so the array holds far more stale entries than live ones.
    for (let i = 0; i < 5_000; i++) if (i % 5 !== 0) order.delete(`id-${i}`);
    for (let i = 5_000; i < 5_010; i++) order.add(`id-${i}`);

    const expected = [...Array.from({ length: 1_000 }, (_, i) => `id-${i * 5}`), ...Array.from({ length: 10 }, (_, i) => `id-${5_000 + i}`)];
    expect([...order]).toEqual(expected);
    expect(order.oldest()).toBe("id-0");
  });

  // A Set used as this queue cost ~240 µs per eviction at 200,000 ids (V8 walks the holes of deleted entries): 24 s here.
  test("takes the oldest out and a new id in 100,000 times over 200,000 ids in a fraction of the time a Set takes", () => {
    const order = new FinishOrder();
    for (let i = 0; i < 200_000; i++) order.add(`id-${i}`);
    const started = performance.now();
    for (let i = 200_000; i < 300_000; i++) {
      order.delete(order.oldest()!);
      order.add(`id-${i}`);
    }
    const elapsed = performance.now() - started;

    expect(order.oldest()).toBe("id-100000");
    expect(order.size).toBe(200_000);
    expect(elapsed).toBeLessThan(2_000);
  });
});
