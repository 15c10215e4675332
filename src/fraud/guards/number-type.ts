import type { Channel } from "../../verification/model.js";
import { allow, block, type GuardDecision } from "../decision.js";
import type { PhoneFacts } from "../phone-facts.js";
import type { FraudSettings } from "../settings.js";

/**
 * Number types never sent to on a channel (the `all` list and the channel's
 * own). A number whose type libphonenumber cannot tell is allowed: the
 * other guards still judge it. The type is worked out only when the channel
 * denies some type.
 */
export function numberTypeDecision(settings: FraudSettings, facts: PhoneFacts, channel: Channel): GuardDecision {
  const denied = settings.deniedTypes[channel];
  if (denied.size === 0) return allow("number_types", { channel, number_type: "unchecked" });
  const type = facts.numberType();
  const figures = { channel, number_type: type ?? "UNKNOWN" };
  return type !== undefined && denied.has(type) ? block("number_types", figures) : allow("number_types", figures);
}
