/**
 * The pooled CSPRNG's own logic (rejection sampling, pool refills, copies),
 * observed by scripting what node:crypto's randomFillSync writes.
 */
import { beforeEach, describe, expect, test, vi } from "vitest";
import type { RandomSource } from "../../src/verification/codes.js";

const fill = vi.hoisted(() => ({ script: [] as Buffer[], calls: [] as number[] }));

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return {
    ...actual,
    randomFillSync: (buffer: Buffer) => {
      fill.calls.push(buffer.length);
      const next = fill.script.shift();
      if (next === undefined) throw new Error("randomFillSync called more often than scripted");
      buffer.fill(0);
      next.copy(buffer);
      return buffer;
    },
  };
});

/** A 4 KiB pool whose first 32-bit words are `words`, big-endian. */
function pool(...words: number[]): Buffer {
  const buffer = Buffer.alloc(4096);
  for (const [index, word] of words.entries()) buffer.writeUInt32BE(word, index * 4);
  return buffer;
}

async function freshRandom(): Promise<RandomSource> {
  vi.resetModules();
  return (await import("../../src/verification/codes.js")).cryptoRandom;
}

beforeEach(() => {
  fill.script = [];
  fill.calls = [];
});

describe("cryptoRandom.int: rejection sampling", () => {
  // 2^32 % 10 = 6, so the largest multiple of 10 is 2^32 - 6 = 0xFFFFFFFA: draws from there up are thrown away.
  test("throws away draws at or above the largest multiple of the range, and takes the first one below", async () => {
    const random = await freshRandom();
    fill.script.push(pool(0xffffffff, 0xfffffffa, 0xfffffff9, 17));

    expect(random.int(10)).toBe(0xfffffff9 % 10);
    expect(random.int(10)).toBe(7);
    expect(fill.calls).toEqual([4096]);
  });

  test("accepts a draw just below the limit for a range that rejects only the very top value", async () => {
    // 2^32 % 3 = 1: only 0xFFFFFFFF is thrown away.
    const random = await freshRandom();
    fill.script.push(pool(0xffffffff, 0xfffffffe));

    expect(random.int(3)).toBe(0xfffffffe % 3);
  });

  test("a power-of-two range rejects nothing", async () => {
    const random = await freshRandom();
    fill.script.push(pool(0xffffffff, 0xffffffff));

    expect(random.int(16)).toBe(15);
    expect(random.int(2 ** 32)).toBe(0xffffffff);
  });

  test("a run of rejected draws past the end of the pool refills it", async () => {
    const random = await freshRandom();
    fill.script.push(Buffer.alloc(4096, 0xff), pool(42));

    expect(random.int(10)).toBe(2);
    expect(fill.calls).toEqual([4096, 4096]);
  });

  test("every digit comes out equally often from draws spread evenly over the accepted range", async () => {
    const random = await freshRandom();
    // 1000 draws: 0..999 scaled into the accepted range, so each residue appears 100 times.
    const words = Array.from({ length: 1000 }, (_, i) => i * 4_294_967);
    fill.script.push(pool(...words));
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 1000; i++) counts[random.int(10)]!++;

    const expected = new Array<number>(10).fill(0);
    for (const word of words) expected[word % 10]!++;
    expect(counts).toEqual(expected);
  });
});

describe("cryptoRandom: the pool", () => {
  test("draws from one fill until it is used up exactly, then refills", async () => {
    const random = await freshRandom();
    fill.script.push(Buffer.alloc(4096, 1), Buffer.alloc(4096, 2));

    expect(random.bytes(4092).every((b) => b === 1)).toBe(true);
    expect(random.bytes(4).equals(Buffer.alloc(4, 1))).toBe(true);
    expect(fill.calls).toEqual([4096]);

    expect(random.bytes(1).equals(Buffer.from([2]))).toBe(true);
    expect(fill.calls).toEqual([4096, 4096]);
  });

  test("a draw that does not fit in what is left refills rather than reading past the end", async () => {
    const random = await freshRandom();
    fill.script.push(Buffer.alloc(4096, 1), Buffer.alloc(4096, 2));

    random.bytes(4093);
    expect(random.bytes(4).equals(Buffer.alloc(4, 2))).toBe(true);
  });

  test("bytes are copies: a later refill never changes bytes handed out before", async () => {
    const random = await freshRandom();
    fill.script.push(Buffer.alloc(4096, 1), Buffer.alloc(4096, 2));

    const first = random.bytes(4096);
    random.bytes(1);

    expect(first.every((b) => b === 1)).toBe(true);
  });

  test("a request larger than the pool is filled on its own, leaving the pool alone", async () => {
    const random = await freshRandom();
    fill.script.push(Buffer.alloc(4097, 9), pool(5));

    const big = random.bytes(4097);

    expect(big).toHaveLength(4097);
    expect(big.every((b) => b === 9)).toBe(true);
    expect(fill.calls).toEqual([4097]);
    expect(random.int(10)).toBe(5);
    expect(fill.calls).toEqual([4097, 4096]);
  });

  test("a request of exactly the pool's size, with the pool part used, refills the pool and leaves nothing over", async () => {
    const random = await freshRandom();
    fill.script.push(Buffer.alloc(4096, 1), Buffer.alloc(4096, 2), Buffer.alloc(4096, 3));

    random.bytes(4);
    expect(random.bytes(4096).every((b) => b === 2)).toBe(true);
    expect(random.bytes(4).equals(Buffer.alloc(4, 3))).toBe(true);
    expect(fill.calls).toEqual([4096, 4096, 4096]);
  });

  test("a request of exactly the pool's size comes from the pool", async () => {
    const random = await freshRandom();
    fill.script.push(Buffer.alloc(4096, 3));

    expect(random.bytes(4096).every((b) => b === 3)).toBe(true);
    expect(fill.calls).toEqual([4096]);
  });
});
