import { RateLimiterRes } from "rate-limiter-flexible";

/** One key's open window: points taken in it and when it closes (epoch ms). */
interface Window {
  points: number;
  expiresAt: number;
}

/** Expired windows are dropped at most this often; a key past its window counts afresh whether or not it was dropped. */
const SWEEP_INTERVAL_MS = 1_000;

/**
 * A fixed-window limiter in this process, counting as rate-limiter-flexible's
 * RateLimiterMemory does (a key's window opens with its first point and lasts
 * `durationMs`; a refused point still counts) in a quarter of its memory.
 * RateLimiterMemory keeps, per key, a prefixed copy of the key, a record
 * object and a setTimeout (timer, closure and context) to forget it: about
 * 400 bytes for every phone number that sent in the last window, the largest
 * share of a pending verification's heap (bench/timers.ts). Here a key is a
 * Map entry and a two-field object, about 95 bytes, and expired windows are
 * swept in bulk: every window of one limiter lasts as long, and a new window
 * is re-inserted, so the Map's insertion order is expiry order and a sweep
 * stops at the first window still open.
 */
export class MemoryLimiter {
  readonly #points: number;
  readonly #durationMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();
  #nextSweepAt = 0;

  /** `points` per key per window of `durationMs`; `now` (epoch ms) is injected for tests. */
  constructor(points: number, durationMs: number, now: () => number = Date.now) {
    this.#points = points;
    this.#durationMs = durationMs;
    this.#now = now;
  }

  /** Takes a point; rejects with the RateLimiterRes when that puts the key over its points, as rate-limiter-flexible does. */
  consume(key: string, points = 1): Promise<RateLimiterRes> {
    const res = this.#add(key, points);
    return res.consumedPoints > this.#points ? Promise.reject(res) : Promise.resolve(res);
  }

  /** Gives a point back. */
  reward(key: string, points = 1): Promise<RateLimiterRes> {
    return Promise.resolve(this.#add(key, -points));
  }

  /** Keys with an open window (expired ones not yet swept included). */
  get size(): number {
    return this.#windows.size;
  }

  #add(key: string, points: number): RateLimiterRes {
    const now = this.#now();
    if (now >= this.#nextSweepAt) this.#sweep(now);
    const open = this.#windows.get(key);
    if (open !== undefined && open.expiresAt > now) {
      open.points += points;
      return this.#res(open.points, open.expiresAt - now, false);
    }
    // Deleted first so that the new window goes to the end: insertion order stays expiry order.
    if (open !== undefined) this.#windows.delete(key);
    this.#windows.set(key, { points, expiresAt: now + this.#durationMs });
    return this.#res(points, this.#durationMs, true);
  }

  #sweep(now: number): void {
    this.#nextSweepAt = now + SWEEP_INTERVAL_MS;
    for (const [key, window] of this.#windows) {
      if (window.expiresAt > now) break;
      this.#windows.delete(key);
    }
  }

  #res(consumed: number, msBeforeNext: number, isFirstInDuration: boolean): RateLimiterRes {
    return new RateLimiterRes(Math.max(this.#points - consumed, 0), msBeforeNext, consumed, isFirstInDuration);
  }
}
