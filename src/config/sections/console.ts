import { z } from "zod";
import { formatDuration } from "../../schema/duration.js";
import { duration } from "../../schema/zod-types.js";

/**
 * How often the console's providers view refreshes, at most and at least:
 * under a second the figures (scored per bucket of minutes) cannot change
 * visibly and only cost the server, over a minute the view stops being live.
 * WatchProviders holds a request's own interval to the same bounds.
 */
export const REFRESH_INTERVAL_BOUNDS = { minMs: 1_000, maxMs: 60_000 } as const;

/** `console:`: the operator console served at /console/ and the live view behind it. */
export const consoleSchema = z
  .strictObject({
    /** false: /console/ is not served (the admin RPCs stay, guarded by admin.token). */
    enabled: z.boolean().default(true),
    /** How often the providers view refreshes: WatchProviders' interval when a request names none. */
    refresh_interval: duration
      .refine((ms) => ms >= REFRESH_INTERVAL_BOUNDS.minMs && ms <= REFRESH_INTERVAL_BOUNDS.maxMs, {
        error: (issue) => `expected a duration from 1s to 1m, got ${formatDuration(issue.input as number)}`,
      })
      .default(5_000),
  })
  .prefault({});

export type ConsoleConfig = z.output<typeof consoleSchema>;
