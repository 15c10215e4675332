import { z } from "zod";
import { type Cidr, parseCidr } from "../../limits/client-address.js";

/**
 * `server.trusted_proxies`: the peers whose X-Forwarded-For names the client.
 * Each entry is a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or one address.
 */
export const trustedProxiesSchema = z
  .array(
    z.string().transform((text, ctx): Cidr => {
      const cidr = parseCidr(text.trim());
      if (cidr === undefined) {
        ctx.addIssue({ code: "custom", message: `expected a CIDR such as "10.0.0.0/8" or "2001:db8::/32", or one address, got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      return cidr;
    }),
  )
  .default([]);
