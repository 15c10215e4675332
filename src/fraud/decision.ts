/**
 * What a guard decides, as data: which guard, allow or block, what a refusal
 * by it is called, and the figures behind it. Words are made from these only
 * at the edge (the API's error message and ExplainRisk, log lines).
 */

/** The guards, in the order a Start runs them; each is named as its config key. */
export const GUARDS = ["geo", "number_types", "prefix_velocity", "conversion_guard"] as const;
export type GuardName = (typeof GUARDS)[number];

/** What a refusal is called on the wire (google.rpc.ErrorInfo reason) and in logs. */
export type RefusalReason = "geo_blocked" | "number_type" | "prefix_velocity" | "conversion_guard";

export const REASON_OF: Record<GuardName, RefusalReason> = {
  geo: "geo_blocked",
  number_types: "number_type",
  prefix_velocity: "prefix_velocity",
  conversion_guard: "conversion_guard",
};

/** Figures are plain values; the edge turns them into strings (ErrorInfo metadata, ExplainRisk). */
export type Figures = Readonly<Record<string, string | number | boolean>>;

export interface GuardDecision {
  guard: GuardName;
  decision: "allow" | "block";
  reason: RefusalReason;
  figures: Figures;
}

export function allow(guard: GuardName, figures: Figures): GuardDecision {
  return { guard, decision: "allow", reason: REASON_OF[guard], figures };
}

export function block(guard: GuardName, figures: Figures): GuardDecision {
  return { guard, decision: "block", reason: REASON_OF[guard], figures };
}

/** How a decision is counted in verifyd_fraud_decisions_total: a block in monitor mode is a would-be block. */
export type CountedDecision = "allow" | "block" | "would_block";

/** Figures as the strings ErrorInfo metadata and ExplainRisk carry. */
export function figureStrings(figures: Figures): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(figures)) out[key] = typeof value === "number" && !Number.isInteger(value) ? value.toFixed(3) : String(value);
  return out;
}
