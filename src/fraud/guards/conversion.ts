import { allow, block, type GuardDecision } from "../decision.js";
import type { BlockScope, FraudSettings } from "../settings.js";
import type { StoredBlock } from "../state.js";
import { type Bucket, CONVERSION_BUCKETS, type WindowShape, windowShape, windowTotals } from "../window.js";

/** A conversion judgement: the decision, and the block to store when this judgement starts one. */
export interface ConversionJudgement {
  decision: GuardDecision;
  newBlock?: StoredBlock;
}

export interface ScopeView {
  scope: BlockScope;
  /** The prefix or the country code. */
  key: string;
  country: string;
  buckets: readonly Bucket[];
  block?: StoredBlock;
  /** Country scope: whether the number's prefix had a code verified within the window. */
  provenRange?: boolean;
}

/**
 * The conversion guard for one scope. A prefix is judged on all its sends;
 * a country on its sends to prefixes with no verified code in the window
 * (new ranges), so traffic to ranges that convert neither hides an attack
 * nor is refused by a country block. With at least `min_sends` such sends
 * and verified ÷ sent under `min_conversion` the scope is blocked for
 * `block_for`, doubled on each repeat up to `max_block`. While a country is
 * blocked, numbers on proven ranges still pass. A block lifts by itself; the
 * verifications that came in meanwhile count, so a recovered scope is let out.
 */
export function judgeConversion(settings: FraudSettings, view: ScopeView, now: number): ConversionJudgement {
  const { windowMs, minSends, minConversion } = settings.conversion;
  const totals = windowTotals(view.buckets, now, conversionShape(windowMs));
  const country = view.scope === "country";
  const sends = Math.round(country ? totals.newSends : totals.sends);
  const verified = Math.min(sends, Math.round(country ? totals.newVerified : totals.verified));
  const conversion = sends === 0 ? 1 : verified / sends;
  // One literal per scope (same keys, same order as ever): a computed key and a property added later would make a slow object per Start.
  const figures: Record<string, string | number | boolean> = country
    ? {
        scope: "country",
        country: view.key,
        sends,
        verified,
        conversion,
        min_sends: minSends,
        min_conversion: minConversion,
        window_ms: windowMs,
        proven_range: view.provenRange === true,
      }
    : { scope: "prefix", prefix: view.key, sends, verified, conversion, min_sends: minSends, min_conversion: minConversion, window_ms: windowMs };
  const active = view.block !== undefined && view.block.until > now ? view.block : undefined;
  const failing = sends >= minSends && conversion < minConversion;
  const newBlock = !active && failing ? nextBlock(settings, view, figures, now) : undefined;
  const current = active ?? newBlock;
  if (!current) return { decision: allow("conversion_guard", figures) };
  const withBlock = { ...figures, blocked_until: new Date(current.until).toISOString(), level: current.level };
  // A country block refuses new ranges only: a range whose codes get verified keeps sending.
  if (view.scope === "country" && view.provenRange) return { decision: allow("conversion_guard", withBlock), newBlock };
  return { decision: block("conversion_guard", withBlock), newBlock };
}

/** The conversion window's shape, made once per window length rather than per Start. */
let lastShape: WindowShape = windowShape(0, CONVERSION_BUCKETS);
function conversionShape(windowMs: number): WindowShape {
  if (lastShape.windowMs !== windowMs) lastShape = windowShape(windowMs, CONVERSION_BUCKETS);
  return lastShape;
}

/**
 * The block a failing scope gets now: level 1 lasts `block_for`; a repeat
 * while the last block is remembered (until `max_block` after it ended)
 * doubles it, up to `max_block`.
 */
export function nextBlock(settings: FraudSettings, view: ScopeView, figures: StoredBlock["figures"], now: number): StoredBlock {
  const { blockForMs, maxBlockMs } = settings.conversion;
  const previous = view.block;
  const level = previous !== undefined && previous.forgetAt > now ? previous.level + 1 : 1;
  const duration = Math.min(maxBlockMs, blockForMs * 2 ** Math.min(level - 1, 30));
  const until = now + duration;
  return { scope: view.scope, key: view.key, country: view.country, reason: "conversion_guard", level, since: now, until, figures, forgetAt: until + maxBlockMs };
}
