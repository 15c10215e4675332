import { z } from "zod";
import { fraudSchema, testNumbersSchema } from "../fraud/config.js";
import { PROVIDER_CONFIG_SCHEMAS } from "../providers/catalog.js";
import { duration } from "../schema/zod-types.js";
import { storeModule } from "../store/catalog.js";
import { storeSchema } from "../store/config.js";
import { consoleSchema } from "./sections/console.js";
import { rateLimitsSchema } from "./sections/rate-limits.js";
import { serverSchema } from "./sections/server.js";

/** One entry of `providers:`: each provider type in src/providers/catalog.ts, picked by `type`. */
export const providerSchema = z.discriminatedUnion("type", PROVIDER_CONFIG_SCHEMAS);

export const configSchema = z
  .strictObject({
    server: serverSchema,
    /** memory (one instance) or mongodb (instances sharing a database); each store type's keys are in its folder (store/catalog.ts). */
    store: storeSchema.prefault({ type: "memory" }),
    security: z
      .strictObject({
        code_hmac_key: z.string().min(16, "code_hmac_key must be at least 16 characters").optional(),
      })
      .default({}),
    policy: z
      .strictObject({
        code_length: z.number().int().min(4).max(10).default(6),
        code_ttl: duration.default(600_000),
        delivery_window: duration.default(30_000),
        max_check_attempts: z.number().int().min(1).max(100).default(5),
        resend_min_interval: duration.default(30_000),
        auto_escalate: z.boolean().default(false),
        default_locale: z.string().default("en"),
      })
      .default({
        code_length: 6,
        code_ttl: 600_000,
        delivery_window: 30_000,
        max_check_attempts: 5,
        resend_min_interval: 30_000,
        auto_escalate: false,
        default_locale: "en",
      }),
    rate_limits: rateLimitsSchema,
    timers: z
      .strictObject({
        /** How often due timers are looked for when the store cannot say when the next one is due. */
        poll_interval: duration.default(50),
        /** How long an instance owns a verification's timer work before another may take it over. */
        lease: duration.default(30_000),
        batch_size: z.number().int().positive().default(512),
      })
      .default({ poll_interval: 50, lease: 30_000, batch_size: 512 }),
    messages: z
      .strictObject({
        brand: z.string().max(30).default("verifyd"),
        /** Per-locale overrides of the built-in templates; {code}, {brand}, {minutes}. */
        templates: z.record(z.string(), z.strictObject({ sms: z.string().optional(), voice: z.string().optional() })).default({}),
        /** Adds "@<domain> #<code>" as the last SMS line, for the WebOTP API. */
        web_otp_domain: z
          .string()
          .regex(/^[a-z0-9.-]+$/i, "web_otp_domain is a host name such as example.com")
          .optional(),
        /** Android SMS Retriever app hash (11 characters). */
        android_app_hash: z
          .string()
          .regex(/^[A-Za-z0-9+/]{11}$/, "android_app_hash is the app's 11-character hash")
          .optional(),
      })
      .default({ brand: "verifyd", templates: {} }),
    log: z.strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") }).default({ level: "info" }),
    providers: z.array(providerSchema).min(1, "at least one provider is required"),
    scoring: z
      .strictObject({
        /** false: no statistics are kept and every strategy routes by the table. */
        enabled: z.boolean().default(true),
        window: duration.default(3_600_000),
        buckets: z.number().int().min(1).max(1440).default(12),
        min_samples: z.number().int().min(1).default(20),
        exploration: z.number().min(0).max(1).default(0.05),
        demote_below: z.number().min(0).max(1).default(0.3),
        demote_relative: z.number().min(0).max(1).default(0.5),
        quality_floor: z.number().min(0).max(1).default(0.5),
        speed_reference: duration.default(10_000),
        /** With the mongodb store: how often the statistics are shared with the other instances. */
        sync_interval: duration.refine((ms) => ms >= 10, "expected at least 10ms").default(5_000),
        weights: z
          .strictObject({
            completion: z.number().min(0).default(0.5),
            delivery: z.number().min(0).default(0.25),
            speed: z.number().min(0).default(0.1),
            acceptance: z.number().min(0).default(0.15),
          })
          .default({ completion: 0.5, delivery: 0.25, speed: 0.1, acceptance: 0.15 }),
      })
      .default({
        enabled: true,
        window: 3_600_000,
        buckets: 12,
        min_samples: 20,
        exploration: 0.05,
        demote_below: 0.3,
        demote_relative: 0.5,
        quality_floor: 0.5,
        speed_reference: 10_000,
        sync_interval: 5_000,
        weights: { completion: 0.5, delivery: 0.25, speed: 0.1, acceptance: 0.15 },
      }),
    admin: z
      .strictObject({
        /** Bearer token the admin RPCs require; unset means unguarded (restrict the port instead). */
        token: z.string().min(16, "admin.token must be at least 16 characters").optional(),
      })
      .default({}),
    /** The operator console at /console/ and how often its live views refresh. */
    console: consoleSchema,
    /** The fraud guard: geo permissions, number types, prefix velocity, the conversion guard (src/fraud/config.ts). */
    fraud: fraudSchema,
    /** Numbers that are never sent to and approve a fixed code: for app-store review and QA. */
    test_numbers: testNumbersSchema,
    routing: z.strictObject({
      /** static: the table as written; score: the table reordered by score; cost: cheapest per success. */
      strategy: z.enum(["static", "score", "cost"]).default("score"),
      strategies: z.record(z.string().regex(/^[A-Z]{2}$/, "country keys are ISO 3166-1 alpha-2, upper case"), z.enum(["static", "score", "cost"])).default({}),
      default: z.array(z.string()).min(1),
      countries: z.record(z.string().regex(/^[A-Z]{2}$/, "country keys are ISO 3166-1 alpha-2, upper case"), z.array(z.string()).min(1)).default({}),
    }),
  })
  .superRefine((config, ctx) => {
    if (storeModule(config.store.type).sharedByInstances && !config.security.code_hmac_key) {
      // Instances sharing a database must share the key, or a code sent by one can never be checked by another.
      ctx.addIssue({
        code: "custom",
        path: ["security", "code_hmac_key"],
        message: `required with store.type ${config.store.type}: every instance needs the same key`,
      });
    }
    const names = new Set<string>();
    config.providers.forEach((provider, index) => {
      if (names.has(provider.name)) {
        ctx.addIssue({ code: "custom", path: ["providers", index, "name"], message: `duplicate provider name "${provider.name}"` });
      }
      names.add(provider.name);
    });
    const checkList = (list: string[], path: (string | number)[]) =>
      list.forEach((name, index) => {
        if (!names.has(name)) ctx.addIssue({ code: "custom", path: [...path, index], message: `unknown provider "${name}"` });
      });
    checkList(config.routing.default, ["routing", "default"]);
    for (const [country, list] of Object.entries(config.routing.countries)) checkList(list, ["routing", "countries", country]);
  });

export type Config = z.output<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
