/**
 * The zod building blocks every module's config schema is made of (each
 * provider and store folder owns its schema; src/config assembles them).
 * Kept apart from src/config so those folders need not import the folder
 * that imports them.
 */
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
