/**
 * Every guard over one number and channel, as pure functions: the guards
 * that need no state (geo, number types), then those that read the shared
 * counters (prefix velocity, conversion per scope). No I/O, no clock: the
 * shell (fraud-guard.ts) reads the snapshot, passes `now`, and stores what
 * comes back.
 */
import type { Channel } from "../verification/model.js";
import type { GuardDecision } from "./decision.js";
import { judgeConversion } from "./guards/conversion.js";
import { geoDecision } from "./guards/geo.js";
import { numberTypeDecision } from "./guards/number-type.js";
import { velocityDecision } from "./guards/prefix-velocity.js";
import type { PhoneFacts } from "./phone-facts.js";
import type { FraudSettings } from "./settings.js";
import type { CounterIncrement, FraudSnapshot, StoredBlock } from "./state.js";

export interface StateJudgement {
  decisions: GuardDecision[];
  /** Blocks that start with this judgement, to be stored. */
  newBlocks: StoredBlock[];
  /** The number's prefix had a code verified within the conversion window. */
  provenRange: boolean;
}

/** Geo permissions and number types: what the number and channel alone decide. */
export function channelDecisions(settings: FraudSettings, facts: PhoneFacts, channel: Channel): GuardDecision[] {
  return [geoDecision(settings, facts.country, channel), numberTypeDecision(settings, facts, channel)];
}

/** Prefix velocity, then the conversion guard for each configured scope (prefix first). */
export function stateDecisions(settings: FraudSettings, facts: PhoneFacts, snapshot: FraudSnapshot, now: number): StateJudgement {
  const lastVerifiedAt = snapshot.prefix.lastVerifiedAt;
  const provenRange = lastVerifiedAt !== undefined && lastVerifiedAt > now - settings.conversion.windowMs;
  const decisions = [velocityDecision(settings, facts.prefix, snapshot.velocity, now)];
  const newBlocks: StoredBlock[] = [];
  const { scopes } = settings.conversion;
  if (scopes.has("prefix")) {
    const { buckets, block } = snapshot.prefix;
    const judged = judgeConversion(settings, { scope: "prefix", key: facts.prefix, country: facts.country, buckets, block }, now);
    decisions.push(judged.decision);
    if (judged.newBlock) newBlocks.push(judged.newBlock);
  }
  if (scopes.has("country")) {
    const { buckets, block } = snapshot.country;
    const judged = judgeConversion(settings, { scope: "country", key: facts.country, country: facts.country, buckets, block, provenRange }, now);
    decisions.push(judged.decision);
    if (judged.newBlock) newBlocks.push(judged.newBlock);
  }
  return { decisions, newBlocks, provenRange };
}

/** Among `channels`, those geo permissions and number types allow for the number. */
export function channelsAllowed(settings: FraudSettings, facts: PhoneFacts, channels: readonly Channel[]): Channel[] {
  return channels.filter((channel) => channelDecisions(settings, facts, channel).every((decision) => decision.decision === "allow"));
}

/** What one send adds: the prefix's velocity and conversion windows, and the country's (a new range when the prefix is unproven). */
export function sendIncrements(facts: PhoneFacts, provenRange: boolean, at: number): CounterIncrement[] {
  return [
    { kind: "velocity", key: facts.prefix, at, sends: 1 },
    { kind: "prefix", key: facts.prefix, at, sends: 1 },
    { kind: "country", key: facts.country, at, sends: 1, newSends: provenRange ? 0 : 1 },
  ];
}

/** What one verification adds; `newRange` when its code went to a prefix that was not proven then. */
export function verifiedIncrements(prefix: string, country: string, newRange: boolean, at: number): CounterIncrement[] {
  return [
    { kind: "prefix", key: prefix, at, verified: 1 },
    { kind: "country", key: country, at, verified: 1, newVerified: newRange ? 1 : 0 },
  ];
}
