import type { Channel } from "../verification/model.js";
import type { FraudConfig } from "./config.js";
import type { NumberType } from "./phone-facts.js";

export type FraudMode = "enforce" | "monitor" | "off";
export type BlockScope = "prefix" | "country";

/** One channel's geo rule: only `allow`, or all but `deny`. */
export type GeoRule = { kind: "allow"; countries: ReadonlySet<string> } | { kind: "deny"; countries: ReadonlySet<string> };

/** The `fraud` config as the guards read it: durations in ms, lists as sets. */
export interface FraudSettings {
  mode: FraudMode;
  geo: Partial<Record<Channel, GeoRule>>;
  /** Types never sent to, per channel (the `all` list merged in). */
  deniedTypes: Record<Channel, ReadonlySet<NumberType>>;
  velocity: { prefixStrip: number; limit: number; windowMs: number };
  conversion: {
    scopes: ReadonlySet<BlockScope>;
    windowMs: number;
    minSends: number;
    minConversion: number;
    blockForMs: number;
    maxBlockMs: number;
  };
  /** Exact numbers and prefixes (from "+1202555*" globs) every guard skips. */
  allowNumbers: { exact: ReadonlySet<string>; prefixes: readonly string[] };
}

export function fraudSettings(config: FraudConfig): FraudSettings {
  const geo: Partial<Record<Channel, GeoRule>> = {};
  for (const channel of ["sms", "voice", "whatsapp"] as const) {
    const rule = config.geo[channel];
    if (rule?.allow) geo[channel] = { kind: "allow", countries: new Set(rule.allow) };
    else if (rule?.deny) geo[channel] = { kind: "deny", countries: new Set(rule.deny) };
  }
  const all = config.number_types.all ?? [];
  const denied = (channel: Channel) => new Set<NumberType>([...all, ...(config.number_types[channel] ?? [])]);
  const guard = config.conversion_guard;
  return {
    mode: config.mode,
    geo,
    deniedTypes: { sms: denied("sms"), voice: denied("voice"), whatsapp: denied("whatsapp") },
    velocity: { prefixStrip: config.prefix_velocity.prefix_strip, limit: config.prefix_velocity.limit, windowMs: config.prefix_velocity.window },
    conversion: {
      scopes: new Set(guard.scope),
      windowMs: guard.window,
      minSends: guard.min_sends,
      minConversion: guard.min_conversion,
      blockForMs: guard.block_for,
      maxBlockMs: guard.max_block,
    },
    allowNumbers: {
      exact: new Set(config.allow_numbers.filter((pattern) => !pattern.endsWith("*"))),
      prefixes: config.allow_numbers.filter((pattern) => pattern.endsWith("*")).map((pattern) => pattern.slice(0, -1)),
    },
  };
}

export function isAllowListed(settings: FraudSettings, phoneNumber: string): boolean {
  const { exact, prefixes } = settings.allowNumbers;
  return exact.has(phoneNumber) || prefixes.some((prefix) => phoneNumber.startsWith(prefix));
}
