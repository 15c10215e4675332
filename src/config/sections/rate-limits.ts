import { z } from "zod";
import { duration } from "../../schema/zod-types.js";

const window = z.strictObject({
  limit: z.number().int().positive(),
  window: duration,
});

/** `rate_limits:`: allowances per phone number and per client address. */
export const rateLimitsSchema = z
  .strictObject({
    per_phone: window.default({ limit: 5, window: 600_000 }),
    per_ip: window.default({ limit: 50, window: 600_000 }),
    /** Checks per client IP, across verifications: slows guessing spread over many numbers. */
    check_per_ip: window.default({ limit: 100, window: 600_000 }),
    /** IPv6 clients share the per-IP budgets per prefix: a subscriber is usually handed a whole /64. */
    ipv6_prefix_length: z.number().int().min(1).max(128).default(64),
    /**
     * Start and Resend must name their client (`client_ip`, or a trusted proxy's
     * X-Forwarded-For) instead of counting against the peer: for a sidecar whose
     * only peer is the application, where the peer would put every user in one budget.
     */
    require_client_ip: z.boolean().default(false),
  })
  .prefault({});
