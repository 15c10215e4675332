import { z } from "zod";
import { duration } from "../../schema/zod-types.js";
import { trustedProxiesSchema } from "./trusted-proxies.js";

/** `server:`: the one port, how it is reached, and how it drains. */
export const serverSchema = z
  .strictObject({
    port: z.number().int().min(0).max(65535).default(8080),
    host: z.string().default("0.0.0.0"),
    /** Base URL providers reach verifyd at, for delivery receipts. */
    public_url: z.string().url().optional(),
    /** Peers whose X-Forwarded-For names the client when a request has no client_ip (CIDRs). */
    trusted_proxies: trustedProxiesSchema,
    /** How long SIGTERM waits for in-flight calls before closing sockets. */
    shutdown_grace: duration.default(10_000),
  })
  .default({ port: 8080, host: "0.0.0.0", trusted_proxies: [], shutdown_grace: 10_000 });
