import { expect, test } from "vitest";
import { TimerLoop } from "../../src/dispatch/timer-loop.js";
import type { VerificationStore } from "../../src/verification/ports.js";
import { eventually } from "../support/eventually.js";
import { FakeClock } from "../support/fakes.js";

test("a store that cannot be reached is reported through onError without a record, and the next pass that claims calls onClaimed", async () => {
  let down = true;
  const store = {
    claimDue: async () => {
      if (down) throw new Error("connection refused");
      return [];
    },
  } as unknown as VerificationStore;
  const errors: Array<{ error: unknown; record: unknown }> = [];
  let claimed = 0;
  const loop = new TimerLoop(store, async () => {}, {
    owner: "test",
    pollIntervalMs: 5,
    leaseMs: 1_000,
    batchSize: 8,
    clock: new FakeClock(),
    onError: (error, record) => errors.push({ error, record }),
    onClaimed: () => void claimed++,
  });
  loop.start();
  try {
    await eventually(() => expect(errors.length).toBeGreaterThanOrEqual(2));
    expect(errors.every((e) => e.record === undefined)).toBe(true);
    expect(claimed).toBe(0);
    down = false;
    await eventually(() => expect(claimed).toBeGreaterThan(0));
  } finally {
    await loop.stop();
  }
});
