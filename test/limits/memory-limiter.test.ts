import { RateLimiterRes } from "rate-limiter-flexible";
import { describe, expect, test } from "vitest";
import { MemoryLimiter } from "../../src/limits/memory-limiter.js";

function limiter(points: number, durationMs = 10_000) {
  const clock = { now: 1_000_000 };
  return { clock, limiter: new MemoryLimiter(points, durationMs, () => clock.now) };
}

async function refusal(promise: Promise<RateLimiterRes>): Promise<RateLimiterRes> {
  const outcome = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(outcome).toBeInstanceOf(RateLimiterRes);
  return outcome as RateLimiterRes;
}

describe("MemoryLimiter", () => {
  test("allows a key its points in a window, then refuses with the time left in the window", async () => {
    const { clock, limiter: limits } = limiter(2);
    const first = await limits.consume("+12025550100");
    clock.now += 4_000;
    const second = await limits.consume("+12025550100");

    const refused = await refusal(limits.consume("+12025550100"));

    expect([first.consumedPoints, first.remainingPoints, first.isFirstInDuration, first.msBeforeNext]).toEqual([1, 1, true, 10_000]);
    expect([second.consumedPoints, second.remainingPoints, second.isFirstInDuration, second.msBeforeNext]).toEqual([2, 0, false, 6_000]);
    expect([refused.consumedPoints, refused.remainingPoints, refused.msBeforeNext]).toEqual([3, 0, 6_000]);
  });

  test("counts a refused point, as rate-limiter-flexible does: a reward is needed to be back at the limit", async () => {
    const { limiter: limits } = limiter(1);
    await limits.consume("key");
    await refusal(limits.consume("key"));

    expect((await limits.reward("key")).consumedPoints).toBe(1);
    await refusal(limits.consume("key"));
  });

  test("gives a rewarded point back within the window", async () => {
    const { limiter: limits } = limiter(1);
    await limits.consume("key");
    await limits.reward("key");

    await expect(limits.consume("key")).resolves.toBeInstanceOf(RateLimiterRes);
  });

  test("counts keys separately", async () => {
    const { limiter: limits } = limiter(1);
    await limits.consume("a");

    await expect(limits.consume("b")).resolves.toBeInstanceOf(RateLimiterRes);
  });

  test("opens a new window for a key once its window has closed", async () => {
    const { clock, limiter: limits } = limiter(1);
    await limits.consume("key");
    clock.now += 10_000;

    const fresh = await limits.consume("key");

    expect([fresh.consumedPoints, fresh.isFirstInDuration, fresh.msBeforeNext]).toEqual([1, true, 10_000]);
  });

  test("forgets keys whose window closed, and keeps those still open", async () => {
    const { clock, limiter: limits } = limiter(5, 500);
    const start = clock.now;
    await limits.consume("a");
    clock.now = start + 100;
    await limits.consume("b");
    // "a" opens its second window before the next sweep (a second after the first): it must move behind "b",
    // or the sweep would stop at "a", still open, and keep "b", closed.
    clock.now = start + 600;
    await limits.consume("a");
    expect(limits.size).toBe(2);

    clock.now = start + 1_000;
    await limits.consume("c");

    expect(limits.size).toBe(2);
    expect((await limits.consume("a")).consumedPoints).toBe(2);
    expect((await limits.consume("b")).isFirstInDuration).toBe(true);
  });
});
