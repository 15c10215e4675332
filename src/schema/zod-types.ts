/**
 * The zod building blocks every module's config schema is made of (each
 * provider and store folder owns its schema; src/config assembles them).
 * Kept apart from src/config so those folders need not import the folder
 * that imports them.
 */
import { z } from "zod";
import { CHANNELS } from "../verification/model.js";
import { parseDuration } from "./duration.js";

const DURATION_EXAMPLE = `a duration with a unit such as "500ms", "30s" or "10m"`;

/**
 * A duration written with its unit, "500ms", "30s", "10m", "1h", "1d"; parsed
 * to milliseconds. A bare number is refused (is `30` seconds or
 * milliseconds?), with a message the config loader prefixes with the key.
 * Defaults are given in milliseconds (the output).
 */
export const duration = z
  .union([z.string(), z.number()], { error: (issue) => (issue.input === undefined ? `required: ${DURATION_EXAMPLE}` : `expected ${DURATION_EXAMPLE}`) })
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      const message =
        typeof value === "number"
          ? `expected ${DURATION_EXAMPLE}, got ${value} without a unit (write "${value}s", or "${value}ms" if milliseconds are meant)`
          : `expected ${DURATION_EXAMPLE}, got ${JSON.stringify(value)}`;
      ctx.addIssue({ code: "custom", message });
      return z.NEVER;
    }
    return ms;
  });

/** Whether a schema is a `duration` (or a refinement of one): lets tools print milliseconds back as durations. */
export function isDurationSchema(schema: z.ZodType): boolean {
  const def = (schema as { _zod?: { def?: { type?: string; out?: z.ZodType } } })._zod?.def;
  if (def?.type !== "pipe" || !def.out) return false;
  return (def.out as { _zod: { def: { transform?: unknown } } })._zod.def.transform === durationTransform;
}

const durationTransform = (duration as unknown as { _zod: { def: { out: { _zod: { def: { transform: unknown } } } } } })._zod.def.out._zod.def.transform;

export const channel = z.enum(CHANNELS);
