/**
 * The `fraud:` and `test_numbers:` config sections. A bad value stops
 * start-up with a message naming its key (config/load-config.ts prints the
 * path): an unknown country code, an unknown number type, a rate above 1.
 */
import { isSupportedCountry, parsePhoneNumberWithError } from "libphonenumber-js/max";
import { z } from "zod";
import { duration } from "../schema/zod-types.js";
import { NUMBER_TYPES, type NumberType } from "./phone-facts.js";

const countryCode = z.string().superRefine((value, ctx) => {
  if (!/^[A-Z]{2}$/.test(value) || !isSupportedCountry(value)) {
    ctx.addIssue({ code: "custom", message: `unknown country code ${JSON.stringify(value)} (ISO 3166-1 alpha-2, upper case)` });
  }
});

const numberType = z.string().superRefine((value, ctx) => {
  if (!(NUMBER_TYPES as readonly string[]).includes(value)) {
    ctx.addIssue({ code: "custom", message: `unknown number type ${JSON.stringify(value)}; one of ${NUMBER_TYPES.join(", ")}` });
  }
});

/** `allow: [...]` (only these) or `deny: [...]` (all but these), for one channel. */
const geoRule = z
  .strictObject({ allow: z.array(countryCode).optional(), deny: z.array(countryCode).optional() })
  .refine((rule) => rule.allow === undefined || rule.deny === undefined, "give allow or deny, not both");

const numberTypeList = z.array(numberType).transform((list) => list as NumberType[]);

/** A rate, 0..1. */
const rate = z.number().min(0).max(1, "is a rate: at most 1");

/** Prefix globs: "+1202555*" matches every number starting +1202555; without "*", one number. */
const allowPattern = z.string().regex(/^\+\d{1,15}\*?$/, 'expected an E.164 number or prefix glob such as "+1202555*"');

/** The libphonenumber types that are never worth a code, by default; FIXED_LINE for SMS (a landline reads no SMS). */
export const DEFAULT_DENIED_TYPES: readonly NumberType[] = ["PREMIUM_RATE", "SHARED_COST", "UAN", "VOICEMAIL", "PAGER", "PERSONAL_NUMBER"];

export const fraudSchema = z
  .strictObject({
    /** enforce: refuse; monitor: decide, record and count, but send anyway; off: no guard runs. */
    mode: z.enum(["enforce", "monitor", "off"]).default("enforce"),
    /** Per channel; a channel without a rule reaches every country. */
    geo: z.strictObject({ sms: geoRule.optional(), voice: geoRule.optional(), whatsapp: geoRule.optional() }).default({}),
    number_types: z
      .strictObject({
        all: numberTypeList.optional(),
        sms: numberTypeList.optional(),
        voice: numberTypeList.optional(),
        whatsapp: numberTypeList.optional(),
      })
      .default({ all: [...DEFAULT_DENIED_TYPES], sms: ["FIXED_LINE"] }),
    prefix_velocity: z
      .strictObject({
        /** A number's prefix is its E.164 form less this many trailing digits (4: ranges of 10,000 numbers). */
        prefix_strip: z.number().int().min(1).max(8).default(4),
        /** Sends to one prefix within `window`; the next is refused. */
        limit: z.number().int().positive().default(20),
        window: duration.default(600_000),
      })
      .prefault({}),
    conversion_guard: z
      .strictObject({
        /** Each level is judged on its own. */
        scope: z
          .array(z.enum(["prefix", "country"]))
          .min(1, "name prefix, country or both")
          .default(["prefix", "country"]),
        window: duration.default(3_600_000),
        /** Judge a scope only with this many sends in the window (for a country: sends to ranges with no verified code). */
        min_sends: z.number().int().positive().default(50),
        /** verified ÷ sent below this blocks. */
        min_conversion: rate.default(0.2),
        /** A first block; each repeat doubles it. */
        block_for: duration.default(900_000),
        max_block: duration.default(43_200_000),
      })
      .prefault({})
      .refine((guard) => guard.max_block >= guard.block_for, { message: "max_block must be at least block_for", path: ["max_block"] }),
    /** Numbers every guard skips: E.164 numbers or prefix globs. */
    allow_numbers: z.array(allowPattern).default([]),
  })
  .prefault({});

export type FraudConfig = z.output<typeof fraudSchema>;

/** One test number: never sent to, approved by its fixed code. */
const testNumber = z.strictObject({
  number: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, "expected an E.164 number such as +15005550100")
    .superRefine((value, ctx) => {
      if (!isPossibleNumber(value)) ctx.addIssue({ code: "custom", message: `${value} is not a possible phone number` });
    }),
  code: z.string().regex(/^\d{4,10}$/, "expected a code of 4 to 10 digits"),
});

export const testNumbersSchema = z
  .array(testNumber)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((entry, index) => {
      if (seen.has(entry.number)) ctx.addIssue({ code: "custom", path: [index, "number"], message: `duplicate test number ${entry.number}` });
      seen.add(entry.number);
    });
  });

export type TestNumbersConfig = z.output<typeof testNumbersSchema>;

function isPossibleNumber(e164: string): boolean {
  try {
    return parsePhoneNumberWithError(e164).isPossible();
  } catch {
    return false;
  }
}
