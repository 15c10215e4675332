import { createPrivateKey } from "node:crypto";
import { z } from "zod";
import { duration } from "../../schema/zod-types.js";
import { providerBaseShape } from "../base-config.js";

/** The algorithms Vonage offers for signed SMS webhooks (Dashboard → API settings → signature method). */
export const VONAGE_SIGNATURE_METHODS = ["md5hash", "md5hmac", "sha1hmac", "sha256hmac", "sha512hmac"] as const;
export type VonageSignatureMethod = (typeof VONAGE_SIGNATURE_METHODS)[number];

const e164 = z.string().regex(/^\+?[1-9][0-9]{1,14}$/, "a phone number in E.164 (the + is optional)");

/**
 * Vonage: SMS through the SMS API (api key and secret), voice through the
 * Voice API (an application's id and private key, as a JWT). Delivery
 * receipts are trusted only when signed, so `signature_secret` must be set,
 * and signed webhooks enabled on the account, for receipts to count.
 */
export const vonageConfigSchema = z
  .strictObject({
    ...providerBaseShape,
    type: z.literal("vonage"),
    channels: z
      .array(z.enum(["sms", "voice"]))
      .min(1)
      .default(["sms"]),
    /** The SMS API host. */
    base_url: z.string().url().default("https://rest.nexmo.com"),
    api_key: z.string().min(1),
    api_secret: z.string().min(1),
    /** SMS sender: a number (E.164) or an alphanumeric sender ID where the destination allows one. */
    from: z.string().min(1).optional(),
    /**
     * The account's signature secret: verifies the `sig` of SMS delivery receipts and the
     * JWT of signed Voice API events. Without it verifyd asks for no receipts.
     */
    signature_secret: z.string().min(1).optional(),
    /** The signature method chosen in the Dashboard; Vonage's default is the MD5 hash. */
    signature_method: z.enum(VONAGE_SIGNATURE_METHODS).default("md5hash"),
    /** A receipt signed further than this from now is refused as a replay. */
    replay_window: duration.default(300_000),
    voice: z
      .strictObject({
        /** The Voice API host. */
        base_url: z.string().url().default("https://api.nexmo.com"),
        application_id: z.string().min(1),
        /** The application's RSA private key, PEM; "\n" escapes (as env vars often carry them) are accepted. */
        private_key: z.string().min(1).transform(pemFromConfig).refine(isPrivateKey, "voice.private_key is not a PEM private key"),
        /** Caller ID: a Vonage number linked to the application. */
        from: e164,
        /** The text-to-speech voice style for the language, per Vonage's language table. */
        style: z.number().int().nonnegative().optional(),
        premium: z.boolean().optional(),
      })
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (config.channels.includes("sms") && !config.from) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "vonage sms needs `from`" });
    }
    if (config.channels.includes("voice") && !config.voice) {
      ctx.addIssue({ code: "custom", path: ["voice"], message: "vonage voice needs `voice` (application_id, private_key, from)" });
    }
  });

export type VonageProviderConfig = z.output<typeof vonageConfigSchema>;

/** Env vars often carry a PEM on one line with literal "\n" escapes; turn them back into newlines. */
function pemFromConfig(value: string): string {
  return value.includes("\\n") && !value.includes("\n") ? value.replaceAll("\\n", "\n") : value;
}

function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}
