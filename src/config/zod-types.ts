import { z } from "zod";
import { CHANNELS } from "../verification/model.js";
import { parseDuration } from "./duration.js";

/** A duration written as "500ms", "30s", "10m"; parsed to milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: `expected a duration such as "500ms", "30s" or "10m", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});

export const channel = z.enum(CHANNELS);

/** The keys every provider type has, whatever its API. */
export const providerBaseShape = {
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "a provider name is lower-case letters, digits, - and _"),
  channels: z.array(channel).min(1),
  /** A send that takes longer counts as failed and is aborted. */
  timeout: duration.default(10_000),
  /** Price of one message; `cost_by_country` overrides it per ISO country. */
  cost: z.number().nonnegative().default(0),
  cost_by_country: z.record(z.string().regex(/^[A-Z]{2}$/), z.number().nonnegative()).default({}),
  /** The circuit breaker around this provider (one per channel). */
  breaker: z
    .strictObject({
      error_threshold_percentage: z.number().min(1).max(100).default(50),
      volume_threshold: z.number().int().min(1).default(5),
      reset_timeout: duration.default(30_000),
      rolling_window: duration.default(60_000),
    })
    .default({ error_threshold_percentage: 50, volume_threshold: 5, reset_timeout: 30_000, rolling_window: 60_000 }),
};
