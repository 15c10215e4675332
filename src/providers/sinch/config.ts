import { z } from "zod";
import { duration } from "../../schema/zod-types.js";
import { providerBaseShape } from "../base-config.js";

/** The regions Sinch serves the SMS REST API from: `https://{region}.sms.api.sinch.com`. */
export const SINCH_REGIONS = ["us", "eu", "au", "br", "ca"] as const;

/**
 * Sinch SMS REST API (XMS batches). Sinch signs SMS callbacks only when an
 * HMAC secret has been configured on the service plan through its account
 * manager, so every callback URL carries `webhook_secret` as a token, and
 * `hmac_secret`, when set, additionally requires Sinch's signature headers.
 */
export const sinchConfigSchema = z.strictObject({
  ...providerBaseShape,
  type: z.literal("sinch"),
  channels: z.array(z.literal("sms")).min(1).default(["sms"]),
  region: z.enum(SINCH_REGIONS).default("us"),
  /** Defaults to `https://{region}.sms.api.sinch.com`; set it for proxies and tests. */
  base_url: z.string().url().optional(),
  service_plan_id: z.string().min(1),
  /** API token of the service plan, sent as `Authorization: Bearer`. */
  api_token: z.string().min(1),
  /** Sender number, short code or alphanumeric; optional when the plan has a default originator. */
  from: z.string().min(1).optional(),
  /** Added to each callback URL as `?token=` and compared in constant time on receipt. */
  webhook_secret: z.string().min(16, "webhook_secret must be at least 16 characters"),
  /** The service plan's callback HMAC secret, when Sinch has enabled signed callbacks for it. */
  hmac_secret: z.string().min(1).optional(),
  /** A signed callback whose timestamp is further than this from now is refused as a replay. */
  replay_window: duration.default(300_000),
});

export type SinchProviderConfig = z.output<typeof sinchConfigSchema>;

export function sinchBaseUrl(config: SinchProviderConfig): string {
  return config.base_url ?? `https://${config.region}.sms.api.sinch.com`;
}
