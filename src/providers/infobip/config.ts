import { z } from "zod";
import { providerBaseShape } from "../base-config.js";

/**
 * Infobip SMS API v3. Every account has its own API host, so `base_url` is
 * required. Infobip does not sign per-message delivery reports, so every
 * notify URL carries `webhook_secret` as a token that the receipt must echo.
 */
export const infobipConfigSchema = z.strictObject({
  ...providerBaseShape,
  type: z.literal("infobip"),
  channels: z.array(z.literal("sms")).min(1).default(["sms"]),
  /** The account's personal base URL, e.g. https://xxxxx.api.infobip.com. */
  base_url: z.string().url(),
  /** API key, sent as `Authorization: App <key>`. */
  api_key: z.string().min(1),
  /** Sender ID (alphanumeric or number); Infobip uses the account default when absent. */
  from: z.string().min(1).optional(),
  /** Added to each notify URL as `?token=` and compared in constant time on receipt. */
  webhook_secret: z.string().min(16, "webhook_secret must be at least 16 characters"),
});

export type InfobipProviderConfig = z.output<typeof infobipConfigSchema>;
