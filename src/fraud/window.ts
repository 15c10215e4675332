/**
 * Counters in time buckets, summed over a sliding window. A window is cut
 * into a fixed number of buckets; the bucket that straddles the window's
 * start counts for the share of it still inside (the sliding-window counter
 * estimate), so a count fades out smoothly instead of dropping a bucket at a
 * time.
 */

/** One bucket's counts; the velocity window uses `sends` only. */
export interface Bucket {
  /** Epoch ms at which the bucket begins (a multiple of its length). */
  start: number;
  sends: number;
  verified: number;
  /** Country level: sends to prefixes with no verified code in the window. */
  newSends: number;
  /** Country level: verifications of codes sent to such prefixes. */
  newVerified: number;
}

export type Totals = Omit<Bucket, "start">;

/** Buckets per conversion window, and per velocity window. */
export const CONVERSION_BUCKETS = 12;
export const VELOCITY_BUCKETS = 10;

export interface WindowShape {
  windowMs: number;
  bucketMs: number;
}

/** A window cut into `buckets` buckets of at least 1 ms. */
export function windowShape(windowMs: number, buckets: number): WindowShape {
  return { windowMs, bucketMs: Math.max(1, Math.ceil(windowMs / buckets)) };
}

export function bucketStart(at: number, bucketMs: number): number {
  return Math.floor(at / bucketMs) * bucketMs;
}

export function emptyBucket(start: number): Bucket {
  return { start, sends: 0, verified: 0, newSends: 0, newVerified: 0 };
}

/** The counts of the window (now - windowMs, now]; fractional where the oldest bucket straddles its start. */
export function windowTotals(buckets: Iterable<Bucket>, now: number, shape: WindowShape): Totals {
  const edge = now - shape.windowMs;
  const totals: Totals = { sends: 0, verified: 0, newSends: 0, newVerified: 0 };
  for (const bucket of buckets) {
    const end = bucket.start + shape.bucketMs;
    if (end <= edge || bucket.start > now) continue;
    const share = bucket.start >= edge ? 1 : (end - edge) / shape.bucketMs;
    totals.sends += bucket.sends * share;
    totals.verified += bucket.verified * share;
    totals.newSends += bucket.newSends * share;
    totals.newVerified += bucket.newVerified * share;
  }
  return totals;
}

/** How long a bucket stays of use: until its end has left the window. */
export function bucketExpiry(start: number, shape: WindowShape): number {
  return start + shape.bucketMs + shape.windowMs;
}
