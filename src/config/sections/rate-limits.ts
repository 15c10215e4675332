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
  })
  .default({
    per_phone: { limit: 5, window: 600_000 },
    per_ip: { limit: 50, window: 600_000 },
    check_per_ip: { limit: 100, window: 600_000 },
  });
