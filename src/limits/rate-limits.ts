import { RateLimiterRes } from "rate-limiter-flexible";
import { VerifyError } from "../verification/errors.js";
import { limitKey, parseClientIp } from "./client-address.js";
import { MemoryLimiter } from "./memory-limiter.js";

export interface LimitWindow {
  limit: number;
  /** Milliseconds. */
  window: number;
}

export interface RateLimitsConfig {
  per_phone: LimitWindow;
  per_ip: LimitWindow;
  check_per_ip: LimitWindow;
  /** IPv6 clients share a budget per prefix of this many bits; 64 when absent. */
  ipv6_prefix_length?: number;
}

/**
 * What RateLimits needs of one limiter: rate-limiter-flexible's consume and
 * reward, which reject and resolve with a RateLimiterRes. Its limiters
 * (RateLimiterMongo for shared stores) are such, and so is MemoryLimiter.
 */
export interface Limiter {
  consume(key: string): Promise<RateLimiterRes>;
  reward(key: string): Promise<RateLimiterRes>;
}

/** Builds one limiter; the memory store's default, replaced by shared ones for shared stores. */
export type LimiterFactory = (name: string, window: LimitWindow) => Limiter;

/** Whole seconds, as rate-limiter-flexible's `duration` (and so the Mongo limiters) count a window. */
export const memoryLimiter: LimiterFactory = (_name, { limit, window }) => new MemoryLimiter(limit, Math.max(1, Math.ceil(window / 1000)) * 1000);

/**
 * The per-phone and per-IP limits. Failover multiplies send paths, and the
 * limits are what keep an attacker from turning them into an SMS pump.
 */
export class RateLimits {
  readonly #sendsPerPhone: Limiter;
  readonly #sendsPerIp: Limiter;
  readonly #checksPerIp: Limiter;
  readonly #ipv6PrefixLength: number;

  constructor(config: RateLimitsConfig, factory: LimiterFactory = memoryLimiter) {
    this.#sendsPerPhone = factory("sends-per-phone", config.per_phone);
    this.#sendsPerIp = factory("sends-per-ip", config.per_ip);
    this.#checksPerIp = factory("checks-per-ip", config.check_per_ip);
    this.#ipv6PrefixLength = config.ipv6_prefix_length ?? 64;
  }

  /**
   * Takes one send from the phone's and the IP's allowance, or none: when one
   * limit is over, the other's point is given back, so a refused call changes
   * nothing. `clientIp` is an address in any spelling; it counts under its
   * canonical form (an IPv6 address under its prefix), never its raw text.
   */
  async consumeSend(phoneNumber: string, clientIp: string | undefined): Promise<void> {
    const takes: Array<[Limiter, string, string]> = [[this.#sendsPerPhone, phoneNumber, "this phone number"]];
    if (clientIp) takes.push([this.#sendsPerIp, this.#ipKey(clientIp), "this client IP"]);
    await consumeAll(takes);
  }

  async consumeCheck(clientIp: string | undefined): Promise<void> {
    if (clientIp) await consumeAll([[this.#checksPerIp, this.#ipKey(clientIp), "this client IP"]]);
  }

  // Parsed again though the API already normalised it: the key must not depend on every caller having done so.
  #ipKey(clientIp: string): string {
    return limitKey(parseClientIp(clientIp), this.#ipv6PrefixLength);
  }
}

async function consumeAll(takes: Array<[Limiter, string, string]>): Promise<void> {
  const results = await Promise.allSettled(takes.map(([limiter, key]) => limiter.consume(key)));
  const refusedAt = results.findIndex((result) => result.status === "rejected");
  if (refusedAt === -1) return;
  // Giving the points back is best effort: when the limiter's store is down (the likely reason another take failed),
  // the refusal must still read as the limit or as UNAVAILABLE, never as an unexpected error.
  await Promise.allSettled(results.map((result, index) => (result.status === "fulfilled" ? takes[index]![0].reward(takes[index]![1]) : undefined)));
  const refused = results[refusedAt] as PromiseRejectedResult;
  if (refused.reason instanceof RateLimiterRes) {
    const retryAfterMs = refused.reason.msBeforeNext;
    throw VerifyError.rateLimited(`too many requests for ${takes[refusedAt]![2]}; retry in ${Math.ceil(retryAfterMs / 1000)}s`, retryAfterMs);
  }
  throw VerifyError.unavailable("rate limiter unavailable", refused.reason);
}
