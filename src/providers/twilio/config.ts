import { z } from "zod";
import { providerBaseShape } from "../base-config.js";

/**
 * Twilio: SMS and WhatsApp through the Messages API, voice through the Calls
 * API, all on the 2010-04-01 REST API with Basic auth (account SID and auth
 * token). Twilio signs every webhook with the auth token, so no separate
 * webhook secret is needed.
 */
export const twilioConfigSchema = z
  .strictObject({
    ...providerBaseShape,
    type: z.literal("twilio"),
    channels: z
      .array(z.enum(["sms", "whatsapp", "voice"]))
      .min(1)
      .default(["sms"]),
    base_url: z.string().url().default("https://api.twilio.com"),
    account_sid: z.string().min(1),
    /** Signs API requests (Basic auth) and verifies X-Twilio-Signature on webhooks. */
    auth_token: z.string().min(1),
    /** SMS sender: a Twilio number (+E.164), short code or alphanumeric sender ID. */
    from: z.string().min(1).optional(),
    /** A Messaging Service to send SMS and WhatsApp through; with `from` as well, `from` must be in its sender pool. */
    messaging_service_sid: z.string().min(1).optional(),
    whatsapp: z
      .strictObject({
        /** The WhatsApp sender's number, +E.164; sent as `whatsapp:+E.164`. */
        from: z
          .string()
          .regex(/^\+[1-9][0-9]{1,14}$/, "whatsapp.from is a +E.164 number")
          .optional(),
        /**
         * An approved WhatsApp authentication template (Content SID, HX...). Outside a
         * 24-hour session WhatsApp delivers only templates, so a code usually needs one.
         */
        content_sid: z.string().min(1).optional(),
        /** The template variable that receives the code. */
        code_variable: z.string().min(1).default("1"),
      })
      .optional(),
    voice: z
      .strictObject({
        /** Caller ID for calls, +E.164; defaults to `from`. */
        from: z
          .string()
          .regex(/^\+[1-9][0-9]{1,14}$/, "voice.from is a +E.164 number")
          .optional(),
        /**
         * The <Say> voice, e.g. "Polly.Joanna" or "Google.de-DE-Standard-A". Without one,
         * Twilio's basic voice reads English, Spanish, French and German only.
         */
        voice: z.string().min(1).optional(),
      })
      .default({}),
  })
  .superRefine((config, ctx) => {
    if (config.channels.includes("sms") && !config.from && !config.messaging_service_sid) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "twilio sms needs `from` or `messaging_service_sid`" });
    }
    if (config.channels.includes("whatsapp") && !config.whatsapp?.from && !config.messaging_service_sid) {
      ctx.addIssue({ code: "custom", path: ["whatsapp", "from"], message: "twilio whatsapp needs `whatsapp.from` or `messaging_service_sid`" });
    }
    if (config.channels.includes("voice") && !config.voice.from && !/^\+[1-9][0-9]{1,14}$/.test(config.from ?? "")) {
      ctx.addIssue({ code: "custom", path: ["voice", "from"], message: "twilio voice needs `voice.from` (or `from` as a +E.164 number)" });
    }
  });

export type TwilioProviderConfig = z.output<typeof twilioConfigSchema>;
