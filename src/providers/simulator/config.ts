import { z } from "zod";
import { PROVIDER_ERROR_KINDS } from "../adapter.js";
import { providerBaseShape } from "../base-config.js";

/**
 * What the simulator does with a message: `deliver` and `undelivered` accept
 * and later send that receipt; `silent_deliver` and `silent_undelivered`
 * accept and reach the same state without sending a receipt, so only a
 * status query finds out (the lost-receipt case status polling exists for);
 * `drop` accepts and never gets further than "sent"; `reject` refuses with
 * `error`; `timeout` never answers.
 */
export const SIMULATED_OUTCOMES = ["deliver", "reject", "drop", "undelivered", "timeout", "silent_deliver", "silent_undelivered"] as const;
export type SimulatedOutcome = (typeof SIMULATED_OUTCOMES)[number];

const rule = z.strictObject({
  /** Prefix glob on the E.164 number: "+1202555011*". */
  match: z.string().optional(),
  outcome: z.enum(SIMULATED_OUTCOMES),
  error: z.enum(PROVIDER_ERROR_KINDS as [string, ...string[]]).optional(),
  /** How long the send (and a status query) takes to answer. */
  latency_ms: z.number().int().nonnegative().default(0),
  /** How long after acceptance the message reaches its final state (and the receipt, if any, is sent). */
  dlr_delay_ms: z.number().int().nonnegative().default(0),
});

const defaultRule = { outcome: "deliver" as const, latency_ms: 0, dlr_delay_ms: 0 };

export const simulatorConfigSchema = z
  .strictObject({
    ...providerBaseShape,
    type: z.literal("simulator"),
    simulate: z
      .strictObject({
        default: rule.default(defaultRule),
        rules: z.array(rule.extend({ match: z.string().min(1) })).default([]),
        /** How many sent messages /sim/outbox keeps; the oldest go first. */
        outbox_limit: z.number().int().nonnegative().default(1000),
        /** How many messages' states queryStatus remembers; older ones are answered as unknown. */
        status_limit: z.number().int().nonnegative().default(10_000),
      })
      .default({ default: defaultRule, rules: [], outbox_limit: 1000, status_limit: 10_000 }),
  })
  .superRefine((config, ctx) => {
    [config.simulate.default, ...config.simulate.rules].forEach((r, index) => {
      if (r.outcome === "reject" && !r.error) {
        const path = index === 0 ? ["simulate", "default", "error"] : ["simulate", "rules", index - 1, "error"];
        ctx.addIssue({ code: "custom", path, message: "a reject rule needs an error kind" });
      }
    });
  });

export type SimulatorProviderConfig = z.output<typeof simulatorConfigSchema>;
export type SimulatorRule = SimulatorProviderConfig["simulate"]["default"];
