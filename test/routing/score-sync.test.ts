import { describe, expect, test } from "vitest";
import { type ScoreStatsSync, ScoreSync } from "../../src/routing/score-sync.js";
import { DEFAULT_SCORING, Scorer, type ScoringSettings, type SeriesBucket, TTD_BINS } from "../../src/routing/scorer.js";
import type { Logger } from "../../src/verification/ports.js";
import { FakeClock, T0 } from "../support/clock.js";
import { eventually } from "../support/eventually.js";

/** One-minute buckets over a ten-minute window. */
const SETTINGS: ScoringSettings = { ...DEFAULT_SCORING, windowMs: 600_000, buckets: 10, minSamples: 4 };

/** The shared totals in memory, as the database would hold them; a call can be held open or made to fail. */
class FakeSharedStats implements ScoreStatsSync {
  readonly totals = new Map<string, SeriesBucket>();
  pushes = 0;
  failNext: "push" | "pull" | undefined;
  /** While set, the next pull waits for this before it reads. */
  holdPull: Promise<void> | undefined;
  holdPush: Promise<void> | undefined;
  /** Whether pull honours `sinceBucketStart` (false: everything, as a careless server might answer). */
  filtersWindow = true;

  async push(deltas: readonly SeriesBucket[]): Promise<void> {
    const hold = this.holdPush;
    this.holdPush = undefined;
    await hold;
    if (this.failNext === "push") {
      this.failNext = undefined;
      throw new Error("database away");
    }
    this.pushes++;
    for (const delta of deltas) {
      const key = `${delta.provider}|${delta.country}|${delta.channel}|${delta.start}`;
      const total = this.totals.get(key) ?? {
        ...delta,
        accepted: 0,
        rejected: 0,
        delivered: 0,
        undelivered: 0,
        verified: 0,
        spend: 0,
        breakerOpens: 0,
        ttd: new Array<number>(TTD_BINS).fill(0),
      };
      total.accepted += delta.accepted;
      total.rejected += delta.rejected;
      total.delivered += delta.delivered;
      total.undelivered += delta.undelivered;
      total.verified += delta.verified;
      total.spend += delta.spend;
      total.breakerOpens += delta.breakerOpens;
      delta.ttd.forEach((count, bin) => {
        total.ttd[bin]! += count;
      });
      this.totals.set(key, total);
    }
  }

  async pull(sinceBucketStart: number): Promise<SeriesBucket[]> {
    const hold = this.holdPull;
    this.holdPull = undefined;
    await hold;
    if (this.failNext === "pull") {
      this.failNext = undefined;
      throw new Error("database away");
    }
    return [...this.totals.values()]
      .filter((bucket) => !this.filtersWindow || bucket.start > sinceBucketStart)
      .map((bucket) => ({ ...bucket, ttd: [...bucket.ttd] }));
  }

  /** The shared total of accepted sends for one series, over every bucket. */
  accepted(provider: string, country = "DE"): number {
    let sum = 0;
    for (const bucket of this.totals.values()) if (bucket.provider === provider && bucket.country === country) sum += bucket.accepted;
    return sum;
  }
}

const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** One instance: its own scorer, synced through the shared fake, on a shared clock. */
function instance(shared: ScoreStatsSync, clock: FakeClock, logger: Logger = quietLogger) {
  const scorer = new Scorer(SETTINGS, () => clock.now());
  const sync = new ScoreSync(scorer, shared, { intervalMs: 1_000, logger, now: () => clock.now() });
  return { scorer, sync };
}

function accept(scorer: Scorer, provider: string, times: number, country = "DE"): void {
  for (let i = 0; i < times; i++) scorer.recordAccepted(provider, country, "sms", 0.01);
}

describe("ScoreSync merging", () => {
  test("two instances see each other's counts summed after one round each", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    const b = instance(shared, clock);
    accept(a.scorer, "sim-a", 3);
    a.scorer.recordDelivered("sim-a", "DE", "sms", 300);
    accept(b.scorer, "sim-a", 2);
    b.scorer.recordRejected("sim-a", "DE", "sms");

    await a.sync.syncNow();
    await b.sync.syncNow();
    await a.sync.syncNow();

    for (const { scorer } of [a, b]) {
      expect(scorer.stats("sim-a", "DE", "sms")).toMatchObject({ accepted: 5, rejected: 1, delivered: 1, spend: expect.closeTo(0.05, 9) });
      expect(scorer.stats("sim-a", "DE", "sms").medianTimeToDeliveryMs).toBe(354);
    }
    expect(shared.accepted("sim-a")).toBe(5);
  });

  test("counts recorded while the totals are being read are kept, and sent once in the next round", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    accept(a.scorer, "sim-a", 4);
    const pull = deferred();
    shared.holdPull = pull.promise;

    const round = a.sync.syncNow();
    await Promise.resolve();
    // The round trip is under way: these are neither in the totals it reads nor in what it sent.
    accept(a.scorer, "sim-a", 3);
    a.scorer.recordVerified("sim-a", "DE", "sms");
    pull.resolve();
    await round;

    expect(a.scorer.stats("sim-a", "DE", "sms")).toMatchObject({ accepted: 7, verified: 1 });
    expect(shared.accepted("sim-a")).toBe(4);
    await a.sync.syncNow();
    expect(shared.accepted("sim-a")).toBe(7);
    expect(a.scorer.stats("sim-a", "DE", "sms")).toMatchObject({ accepted: 7, verified: 1 });
    await a.sync.syncNow();
    expect(shared.accepted("sim-a")).toBe(7);
  });

  test("counts recorded while a push is on its way are kept, and sent once in the next round", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    accept(a.scorer, "sim-a", 2);
    const push = deferred();
    shared.holdPush = push.promise;

    const round = a.sync.syncNow();
    await Promise.resolve();
    accept(a.scorer, "sim-a", 5);
    push.resolve();
    await round;

    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(7);
    expect(shared.accepted("sim-a")).toBe(2);
    await a.sync.syncNow();
    expect(shared.accepted("sim-a")).toBe(7);
    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(7);
  });

  test("shared buckets outside the window, or ahead of this clock, are ignored", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    shared.filtersWindow = false;
    const a = instance(shared, clock);
    const bucketMs = a.scorer.bucketMs;
    const current = clock.now() - (clock.now() % bucketMs);
    const bucket = (start: number, accepted: number): SeriesBucket => ({
      provider: "sim-a",
      country: "DE",
      channel: "sms",
      start,
      accepted,
      rejected: 0,
      delivered: 0,
      undelivered: 0,
      verified: 0,
      spend: 0,
      breakerOpens: 0,
      ttd: new Array<number>(TTD_BINS).fill(0),
    });
    await shared.push([
      bucket(current - SETTINGS.windowMs, 100), // left the window exactly now
      bucket(current - 20 * bucketMs, 1_000), // long gone
      bucket(current + bucketMs, 10_000), // another instance's clock runs ahead
      bucket(current - 3 * bucketMs, 2),
      bucket(current, 3),
    ]);

    await a.sync.syncNow();

    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(5);
    // Nor do they count as already sent: what this instance records in the next bucket is all shared.
    clock.advance(bucketMs);
    accept(a.scorer, "sim-a", 4);
    await a.sync.syncNow();
    expect(shared.totals.get(`sim-a|DE|sms|${current + bucketMs}`)?.accepted).toBe(10_004);
  });

  test("buckets that leave the window while the instance runs drop out of the totals it routes on", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    const b = instance(shared, clock);
    accept(b.scorer, "sim-a", 6);
    await b.sync.syncNow();
    await a.sync.syncNow();
    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(6);

    clock.advance(SETTINGS.windowMs);
    accept(b.scorer, "sim-a", 1);
    await b.sync.syncNow();
    await a.sync.syncNow();
    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(1);
  });

  test("a failed push leaves the local figures as they were and sends them in the next round, once", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    accept(a.scorer, "sim-a", 3);
    shared.failNext = "push";

    await expect(a.sync.syncNow()).rejects.toThrow("database away");
    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(3);
    accept(a.scorer, "sim-a", 1);
    await a.sync.syncNow();
    await a.sync.syncNow();

    expect(shared.accepted("sim-a")).toBe(4);
    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(4);
  });

  test("a failed read after a successful push does not send the same counts again", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    accept(a.scorer, "sim-a", 3);
    shared.failNext = "pull";

    await expect(a.sync.syncNow()).rejects.toThrow("database away");
    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(3);
    await a.sync.syncNow();

    expect(shared.accepted("sim-a")).toBe(3);
    expect(a.scorer.stats("sim-a", "DE", "sms").accepted).toBe(3);
  });

  test("a round with nothing new recorded pushes nothing", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    accept(a.scorer, "sim-a", 2);
    await a.sync.syncNow();
    await a.sync.syncNow();
    expect(shared.pushes).toBe(1);
  });

  test("breaker openings and spend are shared like the other counts", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    const b = instance(shared, clock);
    accept(a.scorer, "sim-a", 1);
    a.scorer.recordBreakerOpen("sim-a", "sms");
    await a.sync.syncNow();
    await b.sync.syncNow();
    expect(b.scorer.stats("sim-a", "DE", "sms")).toMatchObject({ breakerOpens: 1, spend: 0.01 });
  });
});

describe("ScoreSync loop", () => {
  test("stopping sends what was recorded since the last round", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const a = instance(shared, clock);
    a.sync.start();
    accept(a.scorer, "sim-a", 2);
    await a.sync.stop();
    expect(shared.accepted("sim-a")).toBe(2);
  });

  test("an outage is logged once, routing keeps the local figures, and the next round after it shares them", async () => {
    const clock = new FakeClock(T0);
    const shared = new FakeSharedStats();
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger: Logger = { ...quietLogger, warn: (_o, message) => warnings.push(message ?? ""), info: (_o, message) => infos.push(message ?? "") };
    const scorer = new Scorer(SETTINGS, () => clock.now());
    let failures = 3;
    const flaky: ScoreStatsSync = {
      push: async (deltas) => {
        if (failures-- > 0) throw new Error("database away");
        await shared.push(deltas);
      },
      pull: (since) => shared.pull(since),
    };
    const sync = new ScoreSync(scorer, flaky, { intervalMs: 10, logger, now: () => clock.now() });
    accept(scorer, "sim-a", 5);
    sync.start();
    await eventually(() => expect(shared.accepted("sim-a")).toBeGreaterThanOrEqual(5), { intervalMs: 5 });
    await sync.stop();

    expect(shared.accepted("sim-a")).toBe(5);
    expect(scorer.stats("sim-a", "DE", "sms").accepted).toBe(5);
    expect(warnings).toEqual(["score statistics not shared; routing on this instance's figures, retrying"]);
    expect(infos).toEqual(["score statistics shared again"]);
  });
});
