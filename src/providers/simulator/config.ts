import { z } from "zod";
import { providerBaseShape } from "../../config/zod-types.js";
import { PROVIDER_ERROR_KINDS } from "../adapter.js";

const rule = z.strictObject({
  /** Prefix glob on the E.164 number: "+1202555011*". */
  match: z.string().optional(),
  outcome: z.enum(["deliver", "reject", "drop", "undelivered", "timeout"]),
  error: z.enum(PROVIDER_ERROR_KINDS as [string, ...string[]]).optional(),
  latency_ms: z.number().int().nonnegative().default(0),
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
      })
      .default({ default: defaultRule, rules: [], outbox_limit: 1000 }),
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
