import { describe, expect, test } from "vitest";
import { DEFAULT_SCORING, type ProviderStats, Scorer, type ScoringSettings } from "../../src/routing/scorer.js";
import { FakeClock, T0 } from "../support/clock.js";

/** One-minute buckets over a ten-minute window; the default weights and speed reference. */
const SETTINGS: ScoringSettings = { ...DEFAULT_SCORING, windowMs: 600_000, buckets: 10, minSamples: 4 };

function scorer(settings: Partial<ScoringSettings> = {}) {
  const clock = new FakeClock(T0);
  return { clock, scorer: new Scorer({ ...SETTINGS, ...settings }, () => clock.now()) };
}

describe("Scorer statistics", () => {
  test("the score follows the documented formula", () => {
    const { scorer: s } = scorer();
    for (let i = 0; i < 4; i++) s.recordAccepted("a", "DE", "sms", 0.05);
    s.recordRejected("a", "DE", "sms");
    s.recordDelivered("a", "DE", "sms", 100);
    s.recordDelivered("a", "DE", "sms", 300);
    s.recordDelivered("a", "DE", "sms", 3_000);
    s.recordUndelivered("a", "DE", "sms");
    s.recordVerified("a", "DE", "sms");
    s.recordVerified("a", "DE", "sms");

    const stats = s.stats("a", "DE", "sms");
    // Worked by hand: 4 accepted, 1 rejected, 3 delivered, 2 verified.
    expect(stats).toMatchObject({ accepted: 4, rejected: 1, delivered: 3, undelivered: 1, verified: 2 });
    expect(stats.completionRate).toBe(0.5); // 2 / 4
    expect(stats.deliveryRate).toBe(0.75); // 3 / 4
    expect(stats.acceptanceRate).toBe(0.8); // 4 / 5
    // Bins [0,250) [250,500) [2000,4000) hold one each; the 2nd of 3 sits in [250,500): √(250·500) ≈ 354 ms.
    expect(stats.medianTimeToDeliveryMs).toBe(354);
    // speed = 10 000 / (10 000 + 354)
    const speed = 10_000 / 10_354;
    const expected = 0.5 * 0.5 + 0.25 * 0.75 + 0.1 * speed + 0.15 * 0.8;
    expect(stats.score).toBeCloseTo(expected, 12);
    expect(stats.score).toBeCloseTo(0.654081, 6);
  });

  test("without receipts the speed term is zero and there is no median", () => {
    const { scorer: s } = scorer();
    for (let i = 0; i < 4; i++) s.recordAccepted("a", "DE", "sms", 0);
    const stats = s.stats("a", "DE", "sms");
    expect(stats.medianTimeToDeliveryMs).toBeUndefined();
    // Only acceptance (4 ÷ 4) contributes.
    expect(stats.score).toBeCloseTo(0.15, 12);
  });

  test("below min_samples accepted sends a provider has no score", () => {
    const { scorer: s } = scorer();
    for (let i = 0; i < 3; i++) {
      s.recordAccepted("a", "DE", "sms", 0);
      s.recordVerified("a", "DE", "sms");
    }
    // Rejections are not samples of how the provider delivers.
    for (let i = 0; i < 5; i++) s.recordRejected("a", "DE", "sms");
    expect(s.stats("a", "DE", "sms").score).toBeUndefined();
    s.recordAccepted("a", "DE", "sms", 0);
    expect(s.stats("a", "DE", "sms").score).toBeDefined();
  });

  test("the median time to delivery is the geometric middle of the bin holding the 50th percentile", () => {
    const { scorer: s } = scorer();
    for (const ms of [100, 120, 5_000]) s.recordDelivered("fast", "DE", "sms", ms);
    for (const ms of [1_500, 1_900, 60_000, 70_000]) s.recordDelivered("mixed", "DE", "sms", ms);
    s.recordDelivered("slowest", "DE", "sms", 300_000);
    // [0, 250): √(125·250) ≈ 177
    expect(s.stats("fast", "DE", "sms").medianTimeToDeliveryMs).toBe(177);
    // The 2nd of 4 sits in [1000, 2000): √(1000·2000) ≈ 1414
    expect(s.stats("mixed", "DE", "sms").medianTimeToDeliveryMs).toBe(1_414);
    // Past the last edge (256 s) the open bin reads as [256 s, 512 s): √(256 000·512 000) ≈ 362 039
    expect(s.stats("slowest", "DE", "sms").medianTimeToDeliveryMs).toBe(362_039);
  });

  test("figures leave the window a whole bucket at a time, once the window has passed the bucket's start", () => {
    const { clock, scorer: s } = scorer();
    clock.advance(5_000); // inside the first one-minute bucket
    s.recordAccepted("a", "DE", "sms", 0);
    clock.advance(240_000); // a later bucket
    s.recordAccepted("a", "DE", "sms", 0);

    clock.advance(600_000 - 245_000 - 1); // one ms before the window reaches past the first bucket's start
    expect(s.stats("a", "DE", "sms").accepted).toBe(2);
    clock.advance(1);
    expect(s.stats("a", "DE", "sms").accepted).toBe(1);
    clock.advance(240_000);
    expect(s.stats("a", "DE", "sms").accepted).toBe(0);
    expect(s.allStats()).toEqual([]);
  });

  test("a bucket slot reused after the window passed starts from zero", () => {
    const { clock, scorer: s } = scorer();
    for (let i = 0; i < 3; i++) s.recordAccepted("a", "DE", "sms", 0);
    clock.advance(600_000); // the same ring slot, one window later
    s.recordAccepted("a", "DE", "sms", 0);
    expect(s.stats("a", "DE", "sms").accepted).toBe(1);
  });

  test("cost per success is spend divided by verifications, and unset before the first", () => {
    const { scorer: s } = scorer();
    s.recordAccepted("a", "DE", "sms", 0.07);
    s.recordAccepted("a", "DE", "sms", 0.07);
    s.recordAccepted("a", "DE", "sms", 0.06);
    expect(s.stats("a", "DE", "sms").costPerSuccess).toBeUndefined();
    s.recordVerified("a", "DE", "sms");
    s.recordVerified("a", "DE", "sms");
    const stats = s.stats("a", "DE", "sms");
    expect(stats.spend).toBeCloseTo(0.2, 12);
    expect(stats.costPerSuccess).toBeCloseTo(0.1, 12);
  });

  test("series are kept apart per provider, country and channel", () => {
    const { scorer: s } = scorer();
    s.recordAccepted("a", "DE", "sms", 0);
    s.recordAccepted("a", "ID", "sms", 0);
    s.recordAccepted("a", "ID", "sms", 0);
    s.recordAccepted("a", "ID", "voice", 0);
    s.recordAccepted("b", "ID", "sms", 0);
    expect(s.stats("a", "DE", "sms").accepted).toBe(1);
    expect(s.stats("a", "ID", "sms").accepted).toBe(2);
    expect(s.stats("a", "ID", "voice").accepted).toBe(1);
    expect(s.stats("b", "ID", "sms").accepted).toBe(1);
    expect(s.stats("b", "DE", "sms").accepted).toBe(0);
    expect(s.allStats()).toHaveLength(4);
  });

  test("a breaker opening is counted on every series of that provider and channel", () => {
    const { scorer: s } = scorer();
    s.recordAccepted("a", "DE", "sms", 0);
    s.recordAccepted("a", "ID", "sms", 0);
    s.recordAccepted("a", "ID", "voice", 0);
    s.recordBreakerOpen("a", "sms");
    expect(s.stats("a", "DE", "sms").breakerOpens).toBe(1);
    expect(s.stats("a", "ID", "sms").breakerOpens).toBe(1);
    expect(s.stats("a", "ID", "voice").breakerOpens).toBe(0);
  });

  test("statistics read after a write reflect that write", () => {
    const { scorer: s } = scorer();
    s.recordAccepted("a", "DE", "sms", 0);
    expect(s.stats("a", "DE", "sms").accepted).toBe(1);
    s.recordAccepted("a", "DE", "sms", 0);
    expect(s.stats("a", "DE", "sms").accepted).toBe(2);
  });
});

describe("Scorer.isDemoted", () => {
  const { scorer: s } = scorer({ demoteBelow: 0.3, demoteRelative: 0.5 });
  const stats = (provider: string, score: number | undefined): ProviderStats => ({
    provider,
    country: "ID",
    channel: "sms",
    accepted: 20,
    rejected: 0,
    delivered: 0,
    undelivered: 0,
    verified: 0,
    spend: 0,
    breakerOpens: 0,
    deliveryRate: 0,
    completionRate: 0,
    acceptanceRate: 1,
    medianTimeToDeliveryMs: undefined,
    costPerSuccess: undefined,
    score,
  });

  test("a score under the absolute threshold demotes, whatever the peers do", () => {
    const self = stats("a", 0.29);
    expect(s.isDemoted(self, [self])).toBe(true);
    expect(s.isDemoted(self, [self, stats("b", 0.2)])).toBe(true);
  });

  test("a score far under the best peer's demotes; close to it, or alone, does not", () => {
    const self = stats("a", 0.44);
    expect(s.isDemoted(self, [self, stats("b", 0.9)])).toBe(true); // 0.44 < 0.5 · 0.9
    expect(s.isDemoted(self, [self, stats("b", 0.86)])).toBe(false); // 0.44 ≥ 0.5 · 0.86
    expect(s.isDemoted(self, [self])).toBe(false);
  });

  test("the best peer is taken over all scored peers, and unscored peers do not count", () => {
    const self = stats("a", 0.44);
    expect(s.isDemoted(self, [stats("b", 0.5), self, stats("c", 0.95)])).toBe(true);
    expect(s.isDemoted(self, [self, stats("b", undefined)])).toBe(false);
  });

  test("an unscored provider is never demoted", () => {
    const self = stats("a", undefined);
    expect(s.isDemoted(self, [self, stats("b", 1)])).toBe(false);
  });
});

describe("Scorer.history", () => {
  const MINUTE = 60_000;

  test("has one point per bucket of the window, oldest first, empty buckets included, with each bucket's sends", () => {
    const { clock, scorer: s } = scorer();
    s.recordAccepted("a", "DE", "sms", 0);
    s.recordAccepted("a", "DE", "sms", 0);
    s.recordRejected("a", "DE", "sms");
    clock.advance(3 * MINUTE);
    s.recordAccepted("a", "DE", "sms", 0);
    clock.advance(30_000);

    const history = s.history("a", "DE", "sms");
    expect(history).toHaveLength(SETTINGS.buckets);
    // The last point is the bucket in progress; the first, nine buckets before it.
    expect(history.map((point) => point.bucketStart)).toEqual(Array.from({ length: 10 }, (_, index) => T0 - 6 * MINUTE + index * MINUTE));
    expect(history.map((point) => point.sends)).toEqual([0, 0, 0, 0, 0, 0, 3, 0, 0, 1]);
  });

  test("scores each point on the window up to its bucket's end: unset below min_samples, the last one stats()'s score", () => {
    const { clock, scorer: s } = scorer();
    for (let i = 0; i < 3; i++) s.recordAccepted("a", "DE", "sms", 0);
    clock.advance(MINUTE);
    s.recordAccepted("a", "DE", "sms", 0);
    s.recordVerified("a", "DE", "sms");
    s.recordVerified("a", "DE", "sms");

    const [before, last] = s.history("a", "DE", "sms").slice(-2);
    // 3 accepted is under min_samples (4); with the 4th, completion 2/4 and acceptance 4/4 count.
    expect(before!.score).toBeUndefined();
    expect(last!.score).toBeCloseTo(0.5 * 0.5 + 0.15 * 1, 12);
    expect(last!.score).toBe(s.stats("a", "DE", "sms").score);
  });

  test("a point's delivery rate is the share of its bucket's receipts that said delivered; unset without receipts", () => {
    const { clock, scorer: s } = scorer();
    for (let i = 0; i < 4; i++) s.recordAccepted("a", "DE", "sms", 0);
    s.recordDelivered("a", "DE", "sms", 100);
    s.recordDelivered("a", "DE", "sms", 100);
    s.recordDelivered("a", "DE", "sms", 100);
    s.recordUndelivered("a", "DE", "sms");
    clock.advance(MINUTE);
    s.recordAccepted("a", "DE", "sms", 0);

    const [receipts, none] = s.history("a", "DE", "sms").slice(-2);
    expect(receipts!.deliveryRate).toBe(0.75);
    expect(none!.deliveryRate).toBeUndefined();
  });

  test("buckets that left the window leave the history; a series never seen has empty points", () => {
    const { clock, scorer: s } = scorer();
    for (let i = 0; i < 5; i++) s.recordAccepted("a", "DE", "sms", 0);
    clock.advance(SETTINGS.windowMs);

    const history = s.history("a", "DE", "sms");
    expect(history.map((point) => point.sends)).toEqual(Array(10).fill(0));
    expect(history.every((point) => point.score === undefined && point.deliveryRate === undefined)).toBe(true);
    expect(s.history("nobody", "FR", "voice")).toHaveLength(10);
  });
});
