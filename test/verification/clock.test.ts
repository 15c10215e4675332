import { expect, test } from "vitest";
import { systemClock } from "../../src/verification/clock.js";

test("the system clock tells the wall-clock time in epoch milliseconds", () => {
  const before = Date.now();
  const now = systemClock.now();

  expect(now).toBeGreaterThanOrEqual(before);
  expect(now).toBeLessThanOrEqual(Date.now());
});
