import type { Channel } from "../verification/model.js";
import {
  addCounts,
  Bucket,
  emptyStats,
  isEmpty,
  medianOf,
  type ProviderStats,
  ratesOf,
  type ScoringSettings,
  type SeriesBucket,
  type StatsPoint,
  seriesKey,
  ttdBin,
} from "./score-data.js";

export { type BucketCounts, DEFAULT_SCORING, type ProviderStats, type ScoringSettings, type SeriesBucket, type StatsPoint, TTD_BINS } from "./score-data.js";

interface Series {
  provider: string;
  country: string;
  channel: Channel;
  ring: Bucket[];
  cached?: { at: number; bucketStart: number; stats: ProviderStats };
}

/**
 * Rolling statistics and a score per provider × country × channel.
 *
 * score = w_completion · completion + w_delivery · delivery + w_speed · speed + w_acceptance · acceptance
 *
 * where completion = verified ÷ accepted, delivery = delivered ÷ accepted,
 * acceptance = accepted ÷ (accepted + rejected), and speed = R ÷ (R + median
 * time to delivery) with R = `speedReferenceMs` (1 for instant, ½ at R, 0
 * without receipts). Completion weighs most because a message delivered fast
 * to a handset where nobody can read it is worthless. Every term is in [0, 1],
 * and so is the score when the weights sum to 1.
 */
export class Scorer {
  readonly settings: ScoringSettings;
  readonly #series = new Map<string, Series>();
  /** country → channel → provider → series: route decisions look up without building keys. */
  readonly #byCountry = new Map<string, Map<Channel, Map<string, Series>>>();
  readonly #bucketMs: number;
  readonly #now: () => number;

  constructor(settings: ScoringSettings, now: () => number = Date.now) {
    this.settings = settings;
    this.#bucketMs = Math.max(1, Math.floor(settings.windowMs / settings.buckets));
    this.#now = now;
  }

  /** The length of one bucket, ms: window ÷ buckets. */
  get bucketMs(): number {
    return this.#bucketMs;
  }

  recordAccepted(provider: string, country: string, channel: Channel, cost: number): void {
    const bucket = this.#bucket(provider, country, channel);
    bucket.accepted++;
    bucket.spend += cost;
  }

  recordRejected(provider: string, country: string, channel: Channel): void {
    this.#bucket(provider, country, channel).rejected++;
  }

  recordDelivered(provider: string, country: string, channel: Channel, timeToDeliveryMs: number | undefined): void {
    const bucket = this.#bucket(provider, country, channel);
    bucket.delivered++;
    if (timeToDeliveryMs !== undefined && timeToDeliveryMs >= 0) bucket.ttd[ttdBin(timeToDeliveryMs)]!++;
  }

  recordUndelivered(provider: string, country: string, channel: Channel): void {
    this.#bucket(provider, country, channel).undelivered++;
  }

  recordVerified(provider: string, country: string, channel: Channel): void {
    this.#bucket(provider, country, channel).verified++;
  }

  /** Breaker openings are shown per series; the breaker itself already keeps traffic away. */
  recordBreakerOpen(provider: string, channel: Channel): void {
    for (const series of this.#series.values()) {
      if (series.provider === provider && series.channel === channel) this.#current(series).breakerOpens++;
    }
  }

  /** The window's figures, cached until the next write or bucket boundary (route decisions read this). */
  stats(provider: string, country: string, channel: Channel): ProviderStats {
    const series = this.#byCountry.get(country)?.get(channel)?.get(provider);
    if (!series) return emptyStats(provider, country, channel);
    const now = this.#now();
    const bucketStart = now - (now % this.#bucketMs);
    if (series.cached && series.cached.bucketStart === bucketStart) return series.cached.stats;
    const stats = this.#compute(series, now);
    series.cached = { at: now, bucketStart, stats };
    return stats;
  }

  /** Every series with data in the window. */
  allStats(): ProviderStats[] {
    return [...this.#series.values()]
      .map((series) => this.stats(series.provider, series.country, series.channel))
      .filter((stats) => stats.accepted + stats.rejected > 0);
  }

  /**
   * Whether a provider's numbers are bad enough to send it to the back:
   * under the absolute threshold, or far under its best peer for the country.
   */
  isDemoted(stats: ProviderStats, peers: readonly ProviderStats[]): boolean {
    let best = 0;
    for (const peer of peers) if (peer.provider !== stats.provider && peer.score !== undefined && peer.score > best) best = peer.score;
    return this.isDemotedGiven(stats, best);
  }

  /** isDemoted, given the best score among the provider's peers (0 when none is scored). */
  isDemotedGiven(stats: ProviderStats, bestPeerScore: number): boolean {
    if (stats.score === undefined) return false;
    if (stats.score < this.settings.demoteBelow) return true;
    return bestPeerScore > 0 && stats.score < this.settings.demoteRelative * bestPeerScore;
  }

  /**
   * The window bucket by bucket, oldest first, one point per bucket (empty
   * ones included), each scored on the window's buckets up to its own end:
   * the last point's score is stats()'s. Computed on each call, for the admin
   * API only; route decisions read stats().
   */
  history(provider: string, country: string, channel: Channel): StatsPoint[] {
    const series = this.#byCountry.get(country)?.get(channel)?.get(provider);
    const now = this.#now();
    const current = now - (now % this.#bucketMs);
    const count = this.settings.buckets;
    const totals = new Bucket();
    const points: StatsPoint[] = [];
    for (let back = count - 1; back >= 0; back--) {
      const bucketStart = current - back * this.#bucketMs;
      const slot = series?.ring[Math.floor(bucketStart / this.#bucketMs) % count];
      const bucket = slot && slot.start === bucketStart ? slot : undefined;
      if (bucket) addCounts(totals, bucket);
      const outcomes = bucket ? bucket.delivered + bucket.undelivered : 0;
      points.push({
        bucketStart,
        sends: bucket ? bucket.accepted + bucket.rejected : 0,
        deliveryRate: outcomes > 0 ? bucket!.delivered / outcomes : undefined,
        score: ratesOf(totals, medianOf(totals.ttd), this.settings).score,
      });
    }
    return points;
  }

  /** A copy of every bucket still in the window, empty ones left out. */
  buckets(): SeriesBucket[] {
    const oldest = this.#now() - this.settings.windowMs;
    const copies: SeriesBucket[] = [];
    for (const series of this.#series.values()) {
      for (const bucket of series.ring) {
        if (bucket.start <= oldest || isEmpty(bucket)) continue;
        const { provider, country, channel } = series;
        const { start, accepted, rejected, delivered, undelivered, verified, spend, breakerOpens } = bucket;
        copies.push({ provider, country, channel, start, accepted, rejected, delivered, undelivered, verified, spend, breakerOpens, ttd: [...bucket.ttd] });
      }
    }
    return copies;
  }

  /**
   * Replaces every series' window with these buckets, adding up those with
   * the same series and start. Buckets outside the window (or ahead of this
   * clock) are ignored; of two that fall in one ring slot the later wins.
   */
  replaceBuckets(buckets: Iterable<SeriesBucket>): void {
    for (const series of this.#series.values()) {
      for (const bucket of series.ring) bucket.reset(0);
      series.cached = undefined;
    }
    const now = this.#now();
    const oldest = now - this.settings.windowMs;
    for (const given of buckets) {
      if (given.start <= oldest || given.start > now) continue;
      const series = this.#seriesFor(given.provider, given.country, given.channel);
      const bucket = series.ring[Math.floor(given.start / this.#bucketMs) % series.ring.length]!;
      if (bucket.start > given.start) continue;
      if (bucket.start < given.start) bucket.reset(given.start);
      addCounts(bucket, given);
    }
  }

  #compute(series: Series, now: number): ProviderStats {
    const oldest = now - this.settings.windowMs;
    const totals = new Bucket();
    for (const bucket of series.ring) if (bucket.start > oldest) addCounts(totals, bucket);
    const median = medianOf(totals.ttd);
    const { deliveryRate, completionRate, acceptanceRate, score } = ratesOf(totals, median, this.settings);
    return {
      provider: series.provider,
      country: series.country,
      channel: series.channel,
      accepted: totals.accepted,
      rejected: totals.rejected,
      delivered: totals.delivered,
      undelivered: totals.undelivered,
      verified: totals.verified,
      spend: totals.spend,
      breakerOpens: totals.breakerOpens,
      deliveryRate,
      completionRate,
      acceptanceRate,
      medianTimeToDeliveryMs: median,
      costPerSuccess: totals.verified > 0 ? totals.spend / totals.verified : undefined,
      score,
    };
  }

  #bucket(provider: string, country: string, channel: Channel): Bucket {
    const series = this.#seriesFor(provider, country, channel);
    series.cached = undefined;
    return this.#current(series);
  }

  #seriesFor(provider: string, country: string, channel: Channel): Series {
    const id = seriesKey(provider, country, channel);
    let series = this.#series.get(id);
    if (!series) {
      series = { provider, country, channel, ring: Array.from({ length: this.settings.buckets }, () => new Bucket()) };
      this.#series.set(id, series);
      let byChannel = this.#byCountry.get(country);
      if (!byChannel) {
        byChannel = new Map();
        this.#byCountry.set(country, byChannel);
      }
      let byProvider = byChannel.get(channel);
      if (!byProvider) {
        byProvider = new Map();
        byChannel.set(channel, byProvider);
      }
      byProvider.set(provider, series);
    }
    return series;
  }

  #current(series: Series): Bucket {
    const now = this.#now();
    const start = now - (now % this.#bucketMs);
    const bucket = series.ring[Math.floor(start / this.#bucketMs) % series.ring.length]!;
    if (bucket.start !== start) bucket.reset(start);
    series.cached = undefined;
    return bucket;
  }
}
