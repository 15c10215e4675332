import { z } from "zod";
import { channel, duration } from "../schema/zod-types.js";

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
  /**
   * Ask the provider for a message's status when its delivery window ends
   * without a receipt: receipts get lost (an unreachable webhook, a carrier
   * that never reports), and a resend through another provider costs money
   * and confuses a user who did get the first code. On by default for every
   * type that can answer; types that cannot override this key (see
   * withoutStatusQueries).
   */
  status_poll: z.boolean().default(true),
};

/**
 * Replaces `status_poll` for a provider type whose API has no status lookup:
 * the key may be left out or set to false, and `true` is refused, so a config
 * never promises polling that cannot happen.
 */
export function withoutStatusQueries(type: string) {
  return {
    status_poll: z.literal(false, { error: `${type} cannot be asked for a message's status: status_poll must be false` }).default(false),
  };
}

const providerBase = z.object({ ...providerBaseShape, type: z.string() });

/** What every provider config has after parsing, whatever its type. */
export type ProviderBaseConfig = z.output<typeof providerBase>;
