import { describe, expect, test } from "vitest";
import { type LimiterFactory, RateLimits } from "../../src/limits/rate-limits.js";
import { expectVerifyError } from "../support/expect-error.js";

const PHONE = "+12025550100";

function limits(perPhone: number, perIp: number, checksPerIp = 100): RateLimits {
  return new RateLimits({
    per_phone: { limit: perPhone, window: 600_000 },
    per_ip: { limit: perIp, window: 600_000 },
    check_per_ip: { limit: checksPerIp, window: 600_000 },
  });
}

describe("RateLimits", () => {
  test("allows sends up to the phone's limit, then refuses with rate_limited and a retry time", async () => {
    const rateLimits = limits(2, 100);
    await rateLimits.consumeSend(PHONE, "10.0.0.1");
    await rateLimits.consumeSend(PHONE, "10.0.0.2");

    const error = await expectVerifyError(rateLimits.consumeSend(PHONE, "10.0.0.3"), "rate_limited");

    expect(error.details.retryAfterMs).toBeGreaterThan(0);
    expect(error.details.retryAfterMs).toBeLessThanOrEqual(600_000);
    expect(error.message).toContain("phone number");
  });

  test("counts each phone number separately", async () => {
    const rateLimits = limits(1, 100);
    await rateLimits.consumeSend(PHONE, undefined);

    await expect(rateLimits.consumeSend("+12025550101", undefined)).resolves.toBeUndefined();
  });

  test("refuses a client IP over its limit whatever the number", async () => {
    const rateLimits = limits(100, 2);
    await rateLimits.consumeSend("+12025550100", "10.0.0.1");
    await rateLimits.consumeSend("+12025550101", "10.0.0.1");

    const error = await expectVerifyError(rateLimits.consumeSend("+12025550102", "10.0.0.1"), "rate_limited");

    expect(error.message).toContain("client IP");
  });

  test("gives the phone its point back when the IP limit refuses", async () => {
    const rateLimits = limits(2, 1);
    await rateLimits.consumeSend(PHONE, "10.0.0.1");
    await expectVerifyError(rateLimits.consumeSend(PHONE, "10.0.0.1"), "rate_limited");

    // The refused call took nothing from the phone: one send is still left for it.
    await expect(rateLimits.consumeSend(PHONE, "10.0.0.2")).resolves.toBeUndefined();
    await expectVerifyError(rateLimits.consumeSend(PHONE, "10.0.0.3"), "rate_limited");
  });

  test("gives the IP its point back when the phone limit refuses", async () => {
    const rateLimits = limits(1, 2);
    await rateLimits.consumeSend(PHONE, "10.0.0.1");
    await expectVerifyError(rateLimits.consumeSend(PHONE, "10.0.0.1"), "rate_limited");

    await expect(rateLimits.consumeSend("+12025550101", "10.0.0.1")).resolves.toBeUndefined();
    await expectVerifyError(rateLimits.consumeSend("+12025550102", "10.0.0.1"), "rate_limited");
  });

  test("limits checks per client IP, and not checks without one", async () => {
    const rateLimits = limits(100, 100, 1);
    await rateLimits.consumeCheck("10.0.0.1");

    await expectVerifyError(rateLimits.consumeCheck("10.0.0.1"), "rate_limited");
    await expect(rateLimits.consumeCheck(undefined)).resolves.toBeUndefined();
    await expect(rateLimits.consumeCheck(undefined)).resolves.toBeUndefined();
  });
});

describe("RateLimits per client address", () => {
  // Issue 10, item 5: budgets were keyed on the raw string, so each spelling (and each zone id) got one of its own.
  test("every spelling of one address shares one budget", async () => {
    const rateLimits = limits(100, 3);
    await rateLimits.consumeSend("+12025550100", "2001:db8::1");
    await rateLimits.consumeSend("+12025550101", "2001:DB8::1");
    await rateLimits.consumeSend("+12025550102", "2001:db8:0:0:0:0:0:1");

    await expectVerifyError(rateLimits.consumeSend("+12025550103", "2001:db8::1"), "rate_limited");
  });

  test("an IPv4-mapped address spends the IPv4 address's budget", async () => {
    const rateLimits = limits(100, 1, 1);
    await rateLimits.consumeSend(PHONE, "192.0.2.1");
    await rateLimits.consumeCheck("::ffff:192.0.2.1");

    await expectVerifyError(rateLimits.consumeSend("+12025550101", "::ffff:192.0.2.1"), "rate_limited");
    await expectVerifyError(rateLimits.consumeCheck("192.0.2.1"), "rate_limited");
  });

  test("two IPv6 addresses in one /64 share a budget; in different /64s they do not", async () => {
    const rateLimits = limits(100, 1, 1);
    await rateLimits.consumeSend(PHONE, "2001:db8:0:1::1");
    await rateLimits.consumeCheck("2001:db8:0:1::1");

    await expectVerifyError(rateLimits.consumeSend("+12025550101", "2001:db8:0:1:ffff::2"), "rate_limited");
    await expectVerifyError(rateLimits.consumeCheck("2001:db8:0:1::abcd"), "rate_limited");
    await expect(rateLimits.consumeSend("+12025550102", "2001:db8:0:2::1")).resolves.toBeUndefined();
    await expect(rateLimits.consumeCheck("2001:db8:0:2::1")).resolves.toBeUndefined();
  });

  test("ipv6_prefix_length sets how wide an IPv6 budget is", async () => {
    const rateLimits = new RateLimits({
      per_phone: { limit: 100, window: 600_000 },
      per_ip: { limit: 1, window: 600_000 },
      check_per_ip: { limit: 100, window: 600_000 },
      ipv6_prefix_length: 128,
    });
    await rateLimits.consumeSend(PHONE, "2001:db8::1");

    await expect(rateLimits.consumeSend("+12025550101", "2001:db8::2")).resolves.toBeUndefined();
    await expectVerifyError(rateLimits.consumeSend("+12025550102", "2001:db8:0::1"), "rate_limited");
  });

  test("an address with a zone id is refused instead of opening a fresh budget", async () => {
    const rateLimits = limits(100, 1);
    await rateLimits.consumeSend(PHONE, "2001:db8::1");

    await expectVerifyError(rateLimits.consumeSend("+12025550101", "2001:db8::1%a"), "invalid_argument");
    await expectVerifyError(rateLimits.consumeCheck("2001:db8::1%b"), "invalid_argument");
  });
});

describe("a limiter whose store fails", () => {
  test("a failed take whose partner's point cannot be given back is still UNAVAILABLE, never an unexpected error", async () => {
    const down = new Error("connection refused");
    const factory: LimiterFactory = (name) =>
      ({
        consume: async () => {
          if (name === "sends-per-ip") throw down;
          return undefined;
        },
        reward: async () => {
          throw down;
        },
      }) as unknown as ReturnType<LimiterFactory>;
    const limits = new RateLimits(
      { per_phone: { limit: 5, window: 60_000 }, per_ip: { limit: 5, window: 60_000 }, check_per_ip: { limit: 5, window: 60_000 } },
      factory,
    );

    await expectVerifyError(limits.consumeSend("+12025550100", "192.0.2.1"), "unavailable");
  });
});
