import { allow, block, type GuardDecision } from "../decision.js";
import type { FraudSettings } from "../settings.js";
import { type Bucket, VELOCITY_BUCKETS, type WindowShape, windowShape, windowTotals } from "../window.js";

/**
 * Sends to numbers sharing a prefix within the window: at `limit` the next
 * is refused. Pumping walks a number range; a per-number or per-IP limit
 * never sees it, a per-prefix one does.
 */
export function velocityDecision(settings: FraudSettings, prefix: string, buckets: readonly Bucket[], now: number): GuardDecision {
  const { limit, windowMs } = settings.velocity;
  const sends = Math.round(windowTotals(buckets, now, velocityShape(windowMs)).sends);
  const figures = { prefix, sends, limit, window_ms: windowMs };
  return sends >= limit ? block("prefix_velocity", figures) : allow("prefix_velocity", figures);
}

/** The velocity window's shape, made once per window length rather than per Start. */
let lastShape: WindowShape = windowShape(0, VELOCITY_BUCKETS);
function velocityShape(windowMs: number): WindowShape {
  if (lastShape.windowMs !== windowMs) lastShape = windowShape(windowMs, VELOCITY_BUCKETS);
  return lastShape;
}
