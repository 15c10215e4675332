import { describe, expect, test } from "vitest";
import { TimerLoop } from "../../src/dispatch/timer-loop.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import type { VerificationRecord } from "../../src/verification/model.js";
import { FakeClock } from "../support/fakes.js";
import { makeRecord } from "../support/records.js";

function setup(options: { batchSize?: number; maxInFlight?: number } = {}) {
  const clock = new FakeClock(0);
  const store = new MemoryStore({ retentionMs: 60_000, now: () => clock.now(), purgeIntervalMs: 0 });
  const handled: VerificationRecord[] = [];
  const lateness: number[] = [];
  const errors: Array<[unknown, string | undefined]> = [];
  let handle = async (record: VerificationRecord): Promise<void> => {
    handled.push(record);
  };
  const loop = new TimerLoop(store, (record) => handle(record), {
    owner: "loop",
    pollIntervalMs: 1_000,
    leaseMs: 5_000,
    batchSize: options.batchSize ?? 10,
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    clock,
    onLateness: (ms) => lateness.push(ms),
    onError: (error, record) => errors.push([error, record?.id]),
  });
  return {
    clock,
    store,
    loop,
    handled,
    lateness,
    errors,
    setHandler(next: (record: VerificationRecord) => Promise<void>) {
      handle = next;
    },
  };
}

describe("TimerLoop.runDue", () => {
  test("hands every due record to the handler once, across several batches, under the loop's lease", async () => {
    const t = setup({ batchSize: 2 });
    for (const dueAt of [10, 20, 30, 40, 50, 60]) await t.store.insert(makeRecord({ dueAt }));
    t.clock.advance(50);

    const claimed = await t.loop.runDue();
    await t.loop.stop();

    expect(claimed).toBe(5);
    expect(t.handled.map((r) => r.dueAt)).toEqual([10, 20, 30, 40, 50]);
    expect(t.handled.every((r) => r.lease?.owner === "loop")).toBe(true);
    expect(await t.loop.runDue()).toBe(0);
  });

  test("reports how late each timer ran", async () => {
    const t = setup();
    await t.store.insert(makeRecord({ dueAt: 100 }));
    t.clock.advance(130);

    await t.loop.runDue();
    await t.loop.stop();

    expect(t.lateness).toEqual([30]);
  });

  test("passes a handler's failure to onError with the record, and keeps going", async () => {
    const t = setup();
    const failing = makeRecord({ dueAt: 1 });
    const fine = makeRecord({ dueAt: 2 });
    await t.store.insert(failing);
    await t.store.insert(fine);
    t.setHandler(async (record) => {
      if (record.id === failing.id) throw new Error("provider exploded");
      t.handled.push(record);
    });
    t.clock.advance(10);

    await t.loop.runDue();
    await t.loop.stop();

    expect(t.errors.map(([error, id]) => [(error as Error).message, id])).toEqual([["provider exploded", failing.id]]);
    expect(t.handled.map((r) => r.id)).toEqual([fine.id]);
  });

  test("never runs more than maxInFlight handlers at once", async () => {
    const t = setup({ maxInFlight: 2 });
    for (let i = 0; i < 5; i++) await t.store.insert(makeRecord({ dueAt: i }));
    let running = 0;
    let most = 0;
    t.setHandler(async (record) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => setImmediate(resolve));
      running--;
      t.handled.push(record);
    });
    t.clock.advance(10);

    await t.loop.runDue();
    await t.loop.stop();

    expect(t.handled).toHaveLength(5);
    expect(most).toBe(2);
  });

  // Options are often built from optional config keys, so an explicit undefined must mean "the default".
  test("treats an explicitly undefined maxInFlight as the default instead of claiming nothing forever", async () => {
    const clock = new FakeClock(0);
    const store = new CountingStore({ retentionMs: 60_000, now: () => clock.now(), purgeIntervalMs: 0 });
    const handled: string[] = [];
    const loop = new TimerLoop(store, async (record) => void handled.push(record.id), {
      owner: "loop",
      pollIntervalMs: 1_000,
      leaseMs: 5_000,
      batchSize: 10,
      maxInFlight: undefined,
      clock,
    });
    const record = makeRecord({ dueAt: 1 });
    await store.insert(record);
    clock.advance(10);

    const claimed = await loop.runDue();
    await loop.stop();

    expect(claimed).toBe(1);
    expect(handled).toEqual([record.id]);
  });
});

/**
 * Gives up after many claims in a row: a runDue that never stops claiming
 * only awaits microtasks, which would starve the test timeout and hang the run.
 */
class CountingStore extends MemoryStore {
  #claims = 0;

  override async claimDue(now: number, owner: string, leaseMs: number, limit: number): Promise<VerificationRecord[]> {
    if (++this.#claims > 100) throw new Error(`claimDue called ${this.#claims} times in one pass (last limit: ${limit})`);
    return super.claimDue(now, owner, leaseMs, limit);
  }
}
