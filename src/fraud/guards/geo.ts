import type { Channel } from "../../verification/model.js";
import { allow, block, type GuardDecision } from "../decision.js";
import type { FraudSettings } from "../settings.js";

/**
 * Geo permissions: the channel's allow list (only those countries) or deny
 * list (all but those). A channel without a rule reaches every country.
 *
 * @example
 * geoDecision(settings, "CU", "voice"); // { guard: "geo", decision: "block", reason: "geo_blocked", figures: { country: "CU", channel: "voice", rule: "deny" } }
 */
export function geoDecision(settings: FraudSettings, country: string, channel: Channel): GuardDecision {
  const rule = settings.geo[channel];
  if (!rule) return allow("geo", { country, channel, rule: "none" });
  const listed = rule.countries.has(country);
  const allowed = rule.kind === "allow" ? listed : !listed;
  const figures = { country, channel, rule: rule.kind };
  return allowed ? allow("geo", figures) : block("geo", figures);
}
