/** The one place the guards' decisions become words: the API error message, ExplainRisk, log lines. */
import type { GuardDecision } from "./decision.js";

const percent = (value: unknown) => `${Math.round(Number(value) * 100)}%`;
const minutes = (ms: unknown) => `${Math.round(Number(ms) / 60_000)}m`;

/**
 * A decision in a sentence.
 *
 * @example
 * describeDecision(block("prefix_velocity", { prefix: "+1202555", sends: 20, limit: 20, window_ms: 600000 }))
 * // "prefix_velocity: 20 sends to +1202555 in the last 10m reach the limit of 20"
 */
export function describeDecision(decision: GuardDecision): string {
  const f = decision.figures;
  const refused = decision.decision === "block";
  switch (decision.guard) {
    case "geo":
      if (f.rule === "none") return `geo: no rule for ${f.channel}; ${f.country} allowed`;
      return `geo: ${f.country} is ${refused ? "not allowed" : "allowed"} for ${f.channel} (${f.rule} list)`;
    case "number_types":
      if (f.number_type === "unchecked") return `number_types: no type is denied for ${f.channel}`;
      return `number_types: ${f.number_type} numbers are ${refused ? "not sent to" : "allowed"} on ${f.channel}`;
    case "prefix_velocity":
      return refused
        ? `prefix_velocity: ${f.sends} sends to ${f.prefix} in the last ${minutes(f.window_ms)} reach the limit of ${f.limit}`
        : `prefix_velocity: ${f.sends} of ${f.limit} sends to ${f.prefix} in the last ${minutes(f.window_ms)}`;
    case "conversion_guard":
      return describeConversion(decision);
  }
}

function describeConversion(decision: GuardDecision): string {
  const f = decision.figures;
  const key = f.scope === "country" ? `country ${f.country} (new ranges)` : `prefix ${f.prefix}`;
  const measured = `${f.verified} of ${f.sends} codes verified (${percent(f.conversion)}) in the last ${minutes(f.window_ms)}`;
  if (f.blocked_until !== undefined) {
    if (decision.decision === "allow") return `conversion_guard: ${key} is blocked until ${f.blocked_until}, but this number's range has verified codes`;
    return `conversion_guard: ${key} is blocked until ${f.blocked_until} (level ${f.level}): ${measured}, under ${percent(f.min_conversion)}`;
  }
  if (Number(f.sends) < Number(f.min_sends)) return `conversion_guard: ${key}: ${measured}; judged from ${f.min_sends} sends`;
  return `conversion_guard: ${key}: ${measured}, at least ${percent(f.min_conversion)}`;
}
