import { allow, block, type GuardDecision } from "../decision.js";
import type { BlockScope, FraudSettings } from "../settings.js";
import type { StoredBlock } from "../state.js";
import { type Bucket, CONVERSION_BUCKETS, windowShape, windowTotals } from "../window.js";

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
  const totals = windowTotals(view.buckets, now, windowShape(windowMs, CONVERSION_BUCKETS));
  const [sentRaw, verifiedRaw] = view.scope === "country" ? [totals.newSends, totals.newVerified] : [totals.sends, totals.verified];
  const sends = Math.round(sentRaw);
  const verified = Math.min(sends, Math.round(verifiedRaw));
  const conversion = sends === 0 ? 1 : verified / sends;
  const figures: Record<string, string | number | boolean> = {
    scope: view.scope,
    [view.scope]: view.key,
    sends,
    verified,
    conversion,
    min_sends: minSends,
    min_conversion: minConversion,
    window_ms: windowMs,
  };
  if (view.scope === "country") figures.proven_range = view.provenRange === true;
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
