import { z } from "zod";
import { duration } from "../../schema/zod-types.js";
import { providerBaseShape } from "../base-config.js";
import { isTelnyxPublicKey } from "./signature.js";

/**
 * Telnyx Messaging API v2. Telnyx signs every webhook with the account's
 * Ed25519 key, so `public_key` is required: without it no receipt could be
 * trusted.
 */
export const telnyxConfigSchema = z
  .strictObject({
    ...providerBaseShape,
    type: z.literal("telnyx"),
    channels: z.array(z.literal("sms")).min(1).default(["sms"]),
    base_url: z.string().url().default("https://api.telnyx.com"),
    /** API key (v2), sent as `Authorization: Bearer`. */
    api_key: z.string().min(1),
    /** Sending number (+E.164), short code or alphanumeric sender ID. */
    from: z.string().min(1).optional(),
    /** Messaging profile to send through: required for number pools and alphanumeric senders. */
    messaging_profile_id: z.string().min(1).optional(),
    /** The account's public key as Mission Control shows it: base64 of the raw 32-byte Ed25519 key. */
    public_key: z.string().refine(isTelnyxPublicKey, "public_key must be the base64 Ed25519 public key Mission Control shows (32 bytes)"),
    /** A receipt whose telnyx-timestamp is further than this from now is refused as a replay. */
    replay_window: duration.default(300_000),
  })
  .refine((config) => config.from !== undefined || config.messaging_profile_id !== undefined, {
    message: "telnyx needs `from` or `messaging_profile_id`",
    path: ["from"],
  });

export type TelnyxProviderConfig = z.output<typeof telnyxConfigSchema>;
