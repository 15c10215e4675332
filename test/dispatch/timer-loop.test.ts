import { afterEach, describe, expect, test, vi } from "vitest";
import { TimerLoop, type TimerLoopOptions } from "../../src/dispatch/timer-loop.js";
import type { VerificationRecord } from "../../src/verification/model.js";
import type { VerificationStore } from "../../src/verification/ports.js";
import { FakeClock } from "../support/fakes.js";
import { record, T0 } from "../verification/support/builders.js";

/** Only what the loop uses: claimDue (and, when told so, nextDueAt), logging every claim. */
class ClaimStore {
  readonly due: VerificationRecord[] = [];
  readonly claims: Array<{ now: number; owner: string; leaseMs: number; limit: number; got: number }> = [];
  readonly order: string[] = [];
  failWith: Error | undefined;
  hold: Promise<void> | undefined;

  add(count: number, dueAt: (i: number) => number | undefined = () => T0): void {
    for (let i = 0; i < count; i++) this.due.push(record({ id: `ver_${this.due.length}`, dueAt: dueAt(i) }));
  }

  async claimDue(now: number, owner: string, leaseMs: number, limit: number): Promise<VerificationRecord[]> {
    this.order.push("claim");
    if (this.hold) await this.hold;
    if (this.failWith) throw this.failWith;
    const got = this.due.splice(0, limit).map((r) => ({ ...r, lease: { owner, until: now + leaseMs } }));
    this.claims.push({ now, owner, leaseMs, limit, got: got.length });
    return got;
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets promise callbacks and one round of I/O run; no time passes. */
const flush = async (rounds = 5) => {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
};

function setup(options: Partial<TimerLoopOptions> = {}, store: ClaimStore & { nextDueAt?: () => number | undefined } = new ClaimStore()) {
  const clock = new FakeClock(T0 + 100);
  const handled: string[] = [];
  const lateness: number[] = [];
  const errors: Array<[string, string | undefined]> = [];
  let handler = async (r: VerificationRecord): Promise<void> => void handled.push(r.id);
  const loop = new TimerLoop(store as unknown as VerificationStore, (r) => handler(r), {
    owner: "loop-1",
    pollIntervalMs: 1_000,
    leaseMs: 5_000,
    batchSize: 2,
    clock,
    onLateness: (ms) => lateness.push(ms),
    onError: (error, r) => errors.push([(error as Error).message, r?.id]),
    ...options,
  });
  return {
    clock,
    store,
    loop,
    handled,
    lateness,
    errors,
    handle(next: (r: VerificationRecord) => Promise<void>) {
      handler = next;
    },
  };
}

describe("TimerLoop.runDue", () => {
  test("claims in batches of batchSize under its owner and lease, and stops at the first batch that comes back short", async () => {
    const t = setup();
    t.store.add(5);

    const total = await t.loop.runDue();
    await t.loop.stop();

    expect(total).toBe(5);
    expect(t.store.claims).toEqual([
      { now: T0 + 100, owner: "loop-1", leaseMs: 5_000, limit: 2, got: 2 },
      { now: T0 + 100, owner: "loop-1", leaseMs: 5_000, limit: 2, got: 2 },
      { now: T0 + 100, owner: "loop-1", leaseMs: 5_000, limit: 2, got: 1 },
    ]);
    expect(t.handled).toEqual(["ver_0", "ver_1", "ver_2", "ver_3", "ver_4"]);
  });

  test("after a full batch asks once more, and stops on an empty one", async () => {
    const t = setup();
    t.store.add(4);

    expect(await t.loop.runDue()).toBe(4);
    expect(t.store.claims.map((c) => c.got)).toEqual([2, 2, 0]);
  });

  test("with nothing due, claims once and answers 0", async () => {
    const t = setup();

    expect(await t.loop.runDue()).toBe(0);
    expect(t.store.claims).toHaveLength(1);
  });

  test("lets I/O run between two full batches", async () => {
    const t = setup();
    t.store.add(3);
    setImmediate(() => t.store.order.push("io"));

    await t.loop.runDue();

    expect(t.store.order).toEqual(["claim", "io", "claim"]);
  });

  test("reports how late each claimed timer ran; a record without a due time counts as on time", async () => {
    const t = setup({ batchSize: 10 });
    t.store.add(3, (i) => [T0 + 70, T0 + 100, undefined][i]);

    await t.loop.runDue();
    await t.loop.stop();

    expect(t.lateness).toEqual([30, 0, 0]);
  });

  test("hands a handler's failure to onError with its record, and the others still run", async () => {
    const t = setup({ batchSize: 10 });
    t.store.add(3);
    t.handle(async (r) => {
      if (r.id === "ver_1") throw new Error("provider exploded");
      t.handled.push(r.id);
    });

    await t.loop.runDue();
    await t.loop.stop();

    expect(t.errors).toEqual([["provider exploded", "ver_1"]]);
    expect(t.handled).toEqual(["ver_0", "ver_2"]);
  });

  test("a handler's failure without onError is swallowed", async () => {
    const t = setup({ onError: undefined });
    t.store.add(1);
    t.handle(async () => {
      throw new Error("ignored");
    });

    await expect(t.loop.runDue()).resolves.toBe(1);
    await expect(t.loop.stop()).resolves.toBeUndefined();
  });

  test("never runs more than maxInFlight handlers: claims only the room left, and waits when there is none", async () => {
    const t = setup({ batchSize: 10, maxInFlight: 3 });
    t.store.add(7);
    const gates: Array<() => void> = [];
    let running = 0;
    let most = 0;
    t.handle(async () => {
      running++;
      most = Math.max(most, running);
      const gate = deferred();
      gates.push(gate.resolve);
      await gate.promise;
      running--;
    });

    const pass = t.loop.runDue();
    await flush();
    expect(t.store.claims.map((c) => c.limit)).toEqual([3]);
    expect(t.loop.pending).toBe(3);

    while (gates.length > 0) {
      gates.shift()!();
      await flush();
    }
    const total = await pass;

    expect(total).toBe(7);
    expect(most).toBe(3);
    expect(t.store.claims.map((c) => [c.limit, c.got])).toEqual([
      [3, 3],
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 1],
      [1, 0],
    ]);
    await t.loop.stop();
    expect(t.loop.pending).toBe(0);
  });

  test.each([
    ["left out", {}],
    ["explicitly undefined", { maxInFlight: undefined }],
  ])("maxInFlight %s means 256 at once", async (_how, option) => {
    const t = setup({ batchSize: 1_000, ...option });
    t.store.add(300);
    const gate = deferred();
    t.handle(() => gate.promise);

    const pass = t.loop.runDue();
    await flush();

    expect(t.store.claims[0]).toMatchObject({ limit: 256, got: 256 });
    expect(t.loop.pending).toBe(256);
    gate.resolve();
    expect(await pass).toBe(300);
    await t.loop.stop();
  });
});

describe("TimerLoop.stop", () => {
  test("waits for the handlers already running", async () => {
    const t = setup();
    t.store.add(1);
    const gate = deferred();
    t.handle(() => gate.promise);
    await t.loop.runDue();
    let stopped = false;

    const stopping = t.loop.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    expect(t.loop.pending).toBe(1);

    gate.resolve();
    await stopping;
    expect(stopped).toBe(true);
    expect(t.loop.pending).toBe(0);
  });
});

describe("TimerLoop scheduling", () => {
  const delays: number[] = [];

  let unrefs = 0;

  function fakeTimers() {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    delays.length = 0;
    unrefs = 0;
    const fake = globalThis.setTimeout;
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      const handle = fake(fn, ms);
      const unref = handle.unref.bind(handle);
      handle.unref = () => {
        unrefs++;
        return unref();
      };
      return handle;
    }) as typeof setTimeout);
  }

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  test("start runs a pass at once, then polls every pollIntervalMs when the store cannot tell the next due time", async () => {
    fakeTimers();
    const t = setup();
    t.store.add(1);

    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.handled).toEqual(["ver_0"]);
    expect(delays).toEqual([0, 1_000]);

    await vi.advanceTimersByTimeAsync(999);
    expect(t.store.claims).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.store.claims).toHaveLength(2);
    await t.loop.stop();
  });

  test("sleeps only until the store's next due time when that comes before the next poll", async () => {
    fakeTimers();
    const store = Object.assign(new ClaimStore(), { nextDueAt: () => T0 + 400 });
    const t = setup({}, store);

    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);

    expect(delays).toEqual([0, 300]);
    await vi.advanceTimersByTimeAsync(300);
    expect(t.store.claims).toHaveLength(2);
    await t.loop.stop();
  });

  test("polls at the interval when the next due time is later, or unknown to a store that could tell", async () => {
    fakeTimers();
    let next: number | undefined = T0 + 100 + 5_000;
    const store = Object.assign(new ClaimStore(), { nextDueAt: () => next });
    const t = setup({}, store);

    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);
    next = undefined;
    await vi.advanceTimersByTimeAsync(1_000);

    expect(delays).toEqual([0, 1_000, 1_000]);
    await t.loop.stop();
  });

  test("a next due time already past runs the next pass at once", async () => {
    fakeTimers();
    const store = Object.assign(new ClaimStore(), { nextDueAt: () => T0 });
    const t = setup({}, store);

    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);

    expect(delays).toEqual([0, 0]);
    await t.loop.stop();
  });

  test("wake between passes looks for work at once instead of waiting for the poll", async () => {
    fakeTimers();
    const t = setup();
    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(500);
    t.store.add(1);

    t.loop.wake();
    await vi.advanceTimersByTimeAsync(0);

    expect(t.handled).toEqual(["ver_0"]);
    expect(delays).toEqual([0, 1_000, 0, 1_000]);
    // The poll timer wake replaced (due at 1000) is gone: the next pass is 1000 ms after the woken one, at 1500.
    await vi.advanceTimersByTimeAsync(999);
    expect(t.store.claims).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.store.claims).toHaveLength(3);
    await t.loop.stop();
  });

  test("wake right after start (before the first pass) still runs a single pass", async () => {
    fakeTimers();
    const t = setup();

    t.loop.start();
    t.loop.wake();
    await vi.advanceTimersByTimeAsync(0);

    expect(t.store.claims).toHaveLength(1);
    expect(delays).toEqual([0, 0, 1_000]);
    await t.loop.stop();
  });

  test("its timers never keep the process alive", async () => {
    fakeTimers();
    const t = setup();

    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);

    expect(unrefs).toBe(2);
    await t.loop.stop();
  });

  test("a store failure without onError still leaves the loop polling", async () => {
    fakeTimers();
    const t = setup({ onError: undefined });
    t.store.failWith = new Error("store down");

    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);

    expect(delays).toEqual([0, 1_000]);
    await t.loop.stop();
  });

  test("wake during a pass runs another pass right after it instead of sleeping", async () => {
    fakeTimers();
    const t = setup();
    const gate = deferred();
    t.store.hold = gate.promise;
    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);

    t.loop.wake();
    expect(delays).toEqual([0]);
    t.store.hold = undefined;
    gate.resolve();
    await vi.advanceTimersByTimeAsync(0);

    expect(delays.slice(0, 2)).toEqual([0, 0]);
    expect(t.store.claims).toHaveLength(2);
    expect(delays.at(-1)).toBe(1_000);
    await t.loop.stop();
  });

  test("wake does nothing before start or after stop", async () => {
    fakeTimers();
    const t = setup();

    t.loop.wake();
    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);
    await t.loop.stop();
    t.loop.wake();
    await vi.advanceTimersByTimeAsync(10_000);

    expect(delays).toEqual([0, 1_000]);
    expect(t.store.claims).toHaveLength(1);
  });

  test("a store that fails during a pass is reported, and the loop tries again at the next poll", async () => {
    fakeTimers();
    const t = setup();
    t.store.failWith = new Error("store down");

    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.errors).toEqual([["store down", undefined]]);
    expect(delays).toEqual([0, 1_000]);

    t.store.failWith = undefined;
    t.store.add(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.handled).toEqual(["ver_0"]);
    await t.loop.stop();
  });

  test("stop cancels the next poll", async () => {
    fakeTimers();
    const t = setup();
    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);

    await t.loop.stop();
    await vi.advanceTimersByTimeAsync(60_000);

    expect(t.store.claims).toHaveLength(1);
  });

  test("a pass that was already running when stop came schedules nothing after it", async () => {
    fakeTimers();
    const t = setup();
    const gate = deferred();
    t.store.hold = gate.promise;
    t.loop.start();
    await vi.advanceTimersByTimeAsync(0);

    const stopping = t.loop.stop();
    gate.resolve();
    await stopping;
    await vi.advanceTimersByTimeAsync(60_000);

    expect(delays).toEqual([0]);
  });
});
