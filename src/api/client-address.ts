import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Config } from "../config/schema.js";
import { type Cidr, resolveClientIp } from "../limits/client-address.js";

/** The socket's remote address, set per request by the server (src/server/handler.ts). */
export const peerAddressKey = createContextKey<string | undefined>(undefined, { description: "the socket's remote address" });

export interface ClientAddressPolicy {
  trustedProxies: readonly Cidr[];
  requireClientIp: boolean;
}

export function clientAddressPolicy(config: Config): ClientAddressPolicy {
  return { trustedProxies: config.server.trusted_proxies, requireClientIp: config.rate_limits.require_client_ip };
}

/**
 * The canonical client address a request counts against: the `client_ip`
 * field, else a trusted proxy's X-Forwarded-For, else the peer; undefined
 * means no per-IP limit. Throws VerifyError invalid_argument.
 */
export function clientIpOf(context: HandlerContext, given: string, policy: ClientAddressPolicy, purpose: "send" | "check"): string | undefined {
  return resolveClientIp({
    given,
    peer: context.values.get(peerAddressKey),
    // Duplicate headers arrive joined with ", ".
    forwardedFor: context.requestHeader.get("x-forwarded-for") ?? undefined,
    trustedProxies: policy.trustedProxies,
    requireClientIp: policy.requireClientIp,
    purpose,
  })?.text;
}
