import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { VerifyError } from "../verification/errors.js";

export interface LimitWindow {
  limit: number;
  /** Milliseconds. */
  window: number;
}

export interface RateLimitsConfig {
  per_phone: LimitWindow;
  per_ip: LimitWindow;
  check_per_ip: LimitWindow;
}

/** Builds one limiter; the memory store's default, replaced by shared ones for shared stores. */
export type LimiterFactory = (name: string, window: LimitWindow) => RateLimiterAbstract;

export const memoryLimiter: LimiterFactory = (name, { limit, window }) =>
  new RateLimiterMemory({ keyPrefix: name, points: limit, duration: Math.max(1, Math.ceil(window / 1000)) });

/**
 * The per-phone and per-IP limits. Failover multiplies send paths, and the
 * limits are what keep an attacker from turning them into an SMS pump.
 */
export class RateLimits {
  readonly #sendsPerPhone: RateLimiterAbstract;
  readonly #sendsPerIp: RateLimiterAbstract;
  readonly #checksPerIp: RateLimiterAbstract;

  constructor(config: RateLimitsConfig, factory: LimiterFactory = memoryLimiter) {
    this.#sendsPerPhone = factory("sends-per-phone", config.per_phone);
    this.#sendsPerIp = factory("sends-per-ip", config.per_ip);
    this.#checksPerIp = factory("checks-per-ip", config.check_per_ip);
  }

  /**
   * Takes one send from the phone's and the IP's allowance, or none: when one
   * limit is over, the other's point is given back, so a refused call changes
   * nothing.
   */
  async consumeSend(phoneNumber: string, clientIp: string | undefined): Promise<void> {
    const takes: Array<[RateLimiterAbstract, string, string]> = [[this.#sendsPerPhone, phoneNumber, "this phone number"]];
    if (clientIp) takes.push([this.#sendsPerIp, clientIp, "this client IP"]);
    await consumeAll(takes);
  }

  async consumeCheck(clientIp: string | undefined): Promise<void> {
    if (clientIp) await consumeAll([[this.#checksPerIp, clientIp, "this client IP"]]);
  }
}

async function consumeAll(takes: Array<[RateLimiterAbstract, string, string]>): Promise<void> {
  const results = await Promise.allSettled(takes.map(([limiter, key]) => limiter.consume(key)));
  const refusedAt = results.findIndex((result) => result.status === "rejected");
  if (refusedAt === -1) return;
  await Promise.all(results.map((result, index) => (result.status === "fulfilled" ? takes[index]![0].reward(takes[index]![1]) : undefined)));
  const refused = results[refusedAt] as PromiseRejectedResult;
  if (refused.reason instanceof RateLimiterRes) {
    const retryAfterMs = refused.reason.msBeforeNext;
    throw VerifyError.rateLimited(`too many requests for ${takes[refusedAt]![2]}; retry in ${Math.ceil(retryAfterMs / 1000)}s`, retryAfterMs);
  }
  throw VerifyError.unavailable("rate limiter unavailable", refused.reason);
}
