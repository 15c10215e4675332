import type { Channel } from "../verification/model.js";

/* The scorer's data: its settings, the time-bucketed counts each series keeps, the statistics it answers with, and the pure helpers that read them. */

export interface ScoringSettings {
  /** How far back the statistics look, ms (default 1 h). */
  windowMs: number;
  /** Buckets the window is cut into; old buckets drop off whole. */
  buckets: number;
  /** Accepted sends in the window before a provider is scored at all. */
  minSamples: number;
  /** Share of routes that put a demoted provider first, so its recovery is noticed. */
  explorationShare: number;
  /** A score under this demotes, whatever the peers do. */
  demoteBelow: number;
  /** A score under this fraction of the best peer's (same country and channel) demotes. */
  demoteRelative: number;
  /** The `cost` strategy only considers providers whose completion rate reaches this. */
  qualityFloor: number;
  weights: { completion: number; delivery: number; speed: number; acceptance: number };
  /** Time to delivery that halves the speed component, ms. */
  speedReferenceMs: number;
}

export const DEFAULT_SCORING: ScoringSettings = {
  windowMs: 3_600_000,
  buckets: 12,
  minSamples: 20,
  explorationShare: 0.05,
  demoteBelow: 0.3,
  demoteRelative: 0.5,
  qualityFloor: 0.5,
  weights: { completion: 0.5, delivery: 0.25, speed: 0.1, acceptance: 0.15 },
  speedReferenceMs: 10_000,
};

/** Upper edges of the time-to-delivery bins, ms: doubling from 250 ms; the last bin is open. */
export const TTD_EDGES = [250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000];

/** How many bins the time-to-delivery histogram has (the last one open-ended). */
export const TTD_BINS = TTD_EDGES.length + 1;

/** The raw counts of one time bucket: what instances add up to share their statistics (score-sync.ts). */
export interface BucketCounts {
  accepted: number;
  rejected: number;
  delivered: number;
  undelivered: number;
  verified: number;
  spend: number;
  breakerOpens: number;
  /** Deliveries per time-to-delivery bin, TTD_BINS long. */
  ttd: number[];
}

/** One bucket of one provider × country × channel series; `start` is the bucket's start, ms since the epoch. */
export interface SeriesBucket extends BucketCounts {
  provider: string;
  country: string;
  channel: Channel;
  start: number;
}

export class Bucket {
  start = 0;
  accepted = 0;
  rejected = 0;
  delivered = 0;
  undelivered = 0;
  verified = 0;
  spend = 0;
  breakerOpens = 0;
  readonly ttd = new Uint32Array(TTD_EDGES.length + 1);

  reset(start: number): void {
    this.start = start;
    this.accepted = this.rejected = this.delivered = this.undelivered = this.verified = this.spend = this.breakerOpens = 0;
    this.ttd.fill(0);
  }
}

/** The window's figures for one provider in one country on one channel. */
export interface ProviderStats {
  provider: string;
  country: string;
  channel: Channel;
  accepted: number;
  rejected: number;
  delivered: number;
  undelivered: number;
  verified: number;
  spend: number;
  breakerOpens: number;
  /** delivered ÷ accepted */
  deliveryRate: number;
  /** verified ÷ accepted: the truest signal */
  completionRate: number;
  /** accepted ÷ (accepted + rejected) */
  acceptanceRate: number;
  /** Median time from acceptance to delivery receipt, ms; undefined without receipts. */
  medianTimeToDeliveryMs: number | undefined;
  /** spend ÷ verified; undefined before the first success. */
  costPerSuccess: number | undefined;
  /** undefined below min_samples: the provider keeps its routing-table position. */
  score: number | undefined;
}

/** One bucket of a series as the console charts it (ProviderStats.history). */
export interface StatsPoint {
  /** ms since the epoch. */
  bucketStart: number;
  /** Sends the provider accepted or rejected in the bucket. */
  sends: number;
  /** delivered ÷ (delivered + undelivered) of the receipts counted in the bucket; undefined without any. */
  deliveryRate: number | undefined;
  /** The score of the window's buckets up to this one's end; undefined below min_samples. */
  score: number | undefined;
}

/** Adds `source`'s counts into `target` (a histogram shorter than the target's counts as zeros). */
export function addCounts(target: Bucket, source: Omit<BucketCounts, "ttd"> & { readonly ttd: ArrayLike<number> }): void {
  target.accepted += source.accepted;
  target.rejected += source.rejected;
  target.delivered += source.delivered;
  target.undelivered += source.undelivered;
  target.verified += source.verified;
  target.spend += source.spend;
  target.breakerOpens += source.breakerOpens;
  for (let i = 0; i < target.ttd.length; i++) target.ttd[i]! += source.ttd[i] ?? 0;
}

/** The rates a score is made of, from summed counts; `median` is medianOf(totals.ttd), passed in as callers need it too. */
export function ratesOf(totals: Bucket, median: number | undefined, settings: ScoringSettings) {
  const { accepted, rejected, delivered, verified } = totals;
  const ratio = (a: number, b: number) => (b > 0 ? Math.min(1, a / b) : 0);
  const deliveryRate = ratio(delivered, accepted);
  const completionRate = ratio(verified, accepted);
  const acceptanceRate = ratio(accepted, accepted + rejected);
  const { weights, speedReferenceMs, minSamples } = settings;
  const speed = median === undefined ? 0 : speedReferenceMs / (speedReferenceMs + median);
  const score =
    accepted < minSamples
      ? undefined
      : weights.completion * completionRate + weights.delivery * deliveryRate + weights.speed * speed + weights.acceptance * acceptanceRate;
  return { deliveryRate, completionRate, acceptanceRate, score };
}

export function isEmpty(bucket: Bucket): boolean {
  return bucket.accepted + bucket.rejected + bucket.delivered + bucket.undelivered + bucket.verified + bucket.breakerOpens === 0 && bucket.spend === 0;
}

export function seriesKey(provider: string, country: string, channel: Channel): string {
  return `${provider}|${country}|${channel}`;
}

export function ttdBin(ms: number): number {
  for (let i = 0; i < TTD_EDGES.length; i++) if (ms < TTD_EDGES[i]!) return i;
  return TTD_EDGES.length;
}

/** The median from the binned histogram: the geometric middle of the bin holding the 50th percentile. */
export function medianOf(bins: Uint32Array): number | undefined {
  let total = 0;
  for (const count of bins) total += count;
  if (total === 0) return undefined;
  let seen = 0;
  for (let i = 0; i < bins.length; i++) {
    seen += bins[i]!;
    if (seen * 2 >= total) {
      const upper = TTD_EDGES[i] ?? TTD_EDGES.at(-1)! * 2;
      const lower = i === 0 ? upper / 2 : TTD_EDGES[i - 1]!;
      return Math.round(Math.sqrt(lower * upper));
    }
  }
  return undefined;
}

export function emptyStats(provider: string, country: string, channel: Channel): ProviderStats {
  return {
    provider,
    country,
    channel,
    accepted: 0,
    rejected: 0,
    delivered: 0,
    undelivered: 0,
    verified: 0,
    spend: 0,
    breakerOpens: 0,
    deliveryRate: 0,
    completionRate: 0,
    acceptanceRate: 0,
    medianTimeToDeliveryMs: undefined,
    costPerSuccess: undefined,
    score: undefined,
  };
}
