import type { Logger } from "../verification/ports.js";
import { type BucketCounts, type Scorer, type SeriesBucket, TTD_BINS } from "./scorer.js";

/**
 * Where several instances add up their scoring statistics: one total per
 * provider × country × channel × bucket start. The MongoDB store implements
 * it (store/mongo/score-stats.ts); without it the scorer stays local.
 */
export interface ScoreStatsSync {
  /** Adds these counts to the shared totals. */
  push(deltas: readonly SeriesBucket[]): Promise<void>;
  /** The shared totals of every bucket that starts after `sinceBucketStart`. */
  pull(sinceBucketStart: number): Promise<SeriesBucket[]>;
}

export interface ScoreSyncOptions {
  /** How often this instance's new counts are sent and everyone's totals read back, ms. */
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Keeps a scorer on the picture every instance shares. Each round sends what
 * this instance recorded since the last round, then replaces the scorer's
 * window with the shared totals read back. The scorer keeps recording while
 * the round trip is under way: those counts are laid over the totals and
 * sent next round, so nothing recorded is lost or counted twice.
 *
 * With the database away the scorer keeps routing on its own figures, which
 * still grow; what was not sent is sent once the database is back.
 *
 * The deltas are not derived from the scorer's record calls but by
 * subtraction: the scorer minus what it held that the totals already
 * include. Recording, and the route decisions that read the scorer, cost
 * exactly what they cost without sharing.
 */
export class ScoreSync {
  readonly #scorer: Scorer;
  readonly #shared: ScoreStatsSync;
  readonly #options: Required<ScoreSyncOptions>;
  /** Per series and bucket start: what the scorer holds that the shared totals already count. */
  #counted = new Map<string, SeriesBucket>();
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #failing = false;
  #stopped = false;

  constructor(scorer: Scorer, shared: ScoreStatsSync, options: ScoreSyncOptions) {
    this.#scorer = scorer;
    this.#shared = shared;
    this.#options = { now: Date.now, ...options };
  }

  /** Runs a round now, so a new instance starts from the shared picture, then every interval (the timer does not keep the process alive). */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /**
   * Stops the rounds; waits for one under way and then sends what was
   * recorded since, so an instance that shuts down cleanly leaves its counts behind.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
    try {
      await this.#send();
    } catch (error) {
      this.#options.logger.warn({ err: error }, "score statistics not shared before shutdown");
    }
  }

  /** One round: send, read back, merge. Rejects when the database fails; the scorer is then left as it was. */
  syncNow(): Promise<void> {
    const round = (this.#round ?? Promise.resolve()).then(() => this.#sync());
    this.#round = round.catch(() => {});
    return round;
  }

  async #sync(): Promise<void> {
    const sent = await this.#send();
    const pulled = await this.#shared.pull(this.#options.now() - this.#scorer.settings.windowMs);
    // Only what the scorer will hold counts as counted: a bucket ahead of this clock (skew) or off its grid is left out of both.
    const now = this.#options.now();
    const oldest = now - this.#scorer.settings.windowMs;
    const bucketMs = this.#scorer.bucketMs;
    const totals = pulled.filter((bucket) => bucket.start > oldest && bucket.start <= now && bucket.start % bucketMs === 0);
    // Recorded while the totals were on their way: not in them, and not sent yet.
    const recordedMeanwhile = subtract(indexed(this.#scorer.buckets()), sent);
    this.#scorer.replaceBuckets([...totals, ...recordedMeanwhile]);
    this.#counted = indexed(totals);
  }

  /** Sends what the scorer holds beyond what the totals already count; returns what is counted now. */
  async #send(): Promise<Map<string, SeriesBucket>> {
    const held = indexed(this.#scorer.buckets());
    const deltas = subtract(held, this.#counted);
    if (deltas.length > 0) await this.#shared.push(deltas);
    this.#counted = held;
    return held;
  }

  #schedule(delayMs = this.#options.intervalMs): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.syncNow()
        .then(() => {
          if (this.#failing) this.#options.logger.info({}, "score statistics shared again");
          this.#failing = false;
        })
        .catch((error: unknown) => {
          // Once per outage at warn; routing goes on with this instance's own figures meanwhile.
          const log = this.#failing ? this.#options.logger.debug : this.#options.logger.warn;
          log.call(this.#options.logger, { err: error }, "score statistics not shared; routing on this instance's figures, retrying");
          this.#failing = true;
        })
        .finally(() => this.#schedule());
    }, delayMs);
    this.#timer.unref();
  }
}

function keyOf(bucket: SeriesBucket): string {
  return `${bucket.provider}|${bucket.country}|${bucket.channel}|${bucket.start}`;
}

function indexed(buckets: readonly SeriesBucket[]): Map<string, SeriesBucket> {
  const byKey = new Map<string, SeriesBucket>();
  for (const bucket of buckets) byKey.set(keyOf(bucket), bucket);
  return byKey;
}

const SCALARS = ["accepted", "rejected", "delivered", "undelivered", "verified", "spend", "breakerOpens"] as const satisfies ReadonlyArray<keyof BucketCounts>;

/**
 * `from` minus `minus`, per series and bucket start; buckets with nothing
 * left are dropped. Counts only grow within a bucket, so a difference below
 * zero is rounding in `spend` and counts as none.
 */
export function subtract(from: ReadonlyMap<string, SeriesBucket>, minus: ReadonlyMap<string, SeriesBucket>): SeriesBucket[] {
  const differences: SeriesBucket[] = [];
  for (const [key, bucket] of from) {
    const base = minus.get(key);
    if (!base) {
      differences.push(bucket);
      continue;
    }
    const difference: SeriesBucket = { ...bucket, ttd: new Array<number>(TTD_BINS).fill(0) };
    let any = false;
    for (const field of SCALARS) {
      const value = bucket[field] - base[field];
      // spend is a float sum: a remainder this small is rounding, not a send.
      difference[field] = value > 1e-9 ? value : 0;
      if (difference[field] > 0) any = true;
    }
    for (let i = 0; i < TTD_BINS; i++) {
      const value = (bucket.ttd[i] ?? 0) - (base.ttd[i] ?? 0);
      difference.ttd[i] = Math.max(value, 0);
      if (value > 0) any = true;
    }
    if (any) differences.push(difference);
  }
  return differences;
}
