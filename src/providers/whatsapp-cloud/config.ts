import { z } from "zod";
import { providerBaseShape, withoutStatusQueries } from "../base-config.js";

/**
 * WhatsApp through Meta's Cloud API with an approved authentication template
 * (copy-code button). Meta posts every webhook of the app to one URL,
 * `<public url>/webhooks/<provider name>`, signed with the app secret.
 */
export const whatsappCloudConfigSchema = z.strictObject({
  ...providerBaseShape,
  // The Cloud API has no message lookup: statuses arrive only by webhook.
  ...withoutStatusQueries("whatsapp-cloud"),
  type: z.literal("whatsapp-cloud"),
  channels: z.array(z.literal("whatsapp")).min(1).default(["whatsapp"]),
  base_url: z.string().url().default("https://graph.facebook.com"),
  /** Graph API version in the path, e.g. v23.0. */
  api_version: z
    .string()
    .regex(/^v\d+\.\d+$/, 'api_version looks like "v23.0"')
    .default("v23.0"),
  /** The business phone number's ID (not the number itself). */
  phone_number_id: z.string().min(1),
  /** System user or business access token, sent as `Authorization: Bearer`. */
  access_token: z.string().min(1),
  /** The app secret: Meta signs webhooks with it (X-Hub-Signature-256). */
  app_secret: z.string().min(1),
  /** The Verify Token entered in the app's webhook settings, echoed in Meta's GET handshake. */
  verify_token: z.string().min(1),
  template: z.strictObject({
    /** An approved template of category AUTHENTICATION with a copy-code (or one-tap) button. */
    name: z.string().min(1),
    /** Template language used when the verification's locale has no entry in `languages`. */
    language: z.string().min(1).default("en_US"),
    /** verifyd locale to the template language it was approved in, e.g. { de: "de", "pt-BR": "pt_BR" }. */
    languages: z.record(z.string(), z.string().min(1)).default({}),
  }),
});

export type WhatsAppCloudProviderConfig = z.output<typeof whatsappCloudConfigSchema>;
