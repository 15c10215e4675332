import { z } from "zod";
import { duration } from "../../schema/zod-types.js";
import { providerBaseShape } from "../base-config.js";

const e164 = /^\+?[1-9][0-9]{1,14}$/;

/**
 * Plivo: SMS through the Message API and voice through the Call API, Basic
 * auth with the auth ID and auth token. Plivo signs its callbacks with the
 * auth token, so no separate webhook secret is needed.
 */
export const plivoConfigSchema = z
  .strictObject({
    ...providerBaseShape,
    type: z.literal("plivo"),
    channels: z
      .array(z.enum(["sms", "voice"]))
      .min(1)
      .default(["sms"]),
    base_url: z.string().url().default("https://api.plivo.com"),
    auth_id: z.string().min(1),
    /** Signs API requests (Basic auth) and verifies X-Plivo-Signature-V3 (or -V2) on callbacks. */
    auth_token: z.string().min(1),
    /** SMS sender (`src`): a Plivo number in E.164, or an alphanumeric sender ID where allowed. */
    from: z.string().min(1).optional(),
    /** Sends SMS from a Powerpack's number pool instead of `from`. */
    powerpack_uuid: z.string().min(1).optional(),
    voice: z
      .strictObject({
        /** Caller ID for calls, E.164; defaults to `from`. */
        from: z.string().regex(e164, "voice.from is an E.164 number").optional(),
        /** The <Speak> voice: "WOMAN", "MAN", or a Polly voice such as "Polly.Joanna". */
        voice: z.string().min(1).default("WOMAN"),
        /**
         * How long the call's XML is kept for Plivo to fetch from the answer URL. It lives
         * in this process's memory only: the answer request must reach the instance that
         * placed the call.
         */
        answer_ttl: duration.default(600_000),
      })
      .default({ voice: "WOMAN", answer_ttl: 600_000 }),
  })
  .superRefine((config, ctx) => {
    if (config.channels.includes("sms") && !config.from && !config.powerpack_uuid) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "plivo sms needs `from` or `powerpack_uuid`" });
    }
    if (config.channels.includes("voice") && !config.voice.from && !e164.test(config.from ?? "")) {
      ctx.addIssue({ code: "custom", path: ["voice", "from"], message: "plivo voice needs `voice.from` (or `from` as an E.164 number)" });
    }
  });

export type PlivoProviderConfig = z.output<typeof plivoConfigSchema>;
