/**
 * What the guards know about a number besides its country: its prefix and
 * its libphonenumber type. The type needs the "max" metadata (the "min" set
 * has no type patterns, and "mobile" tells MOBILE from everything else only)
 * and costs about 20 µs a call on the development machine, so it is worked
 * out at most once per call path (the facts object memoizes it) and kept for
 * recently seen numbers, whose retries and resends then cost nothing.
 */
import { parsePhoneNumberWithError } from "libphonenumber-js/max";

/** libphonenumber's number types, as the config names them. */
export const NUMBER_TYPES = [
  "FIXED_LINE",
  "MOBILE",
  "FIXED_LINE_OR_MOBILE",
  "TOLL_FREE",
  "PREMIUM_RATE",
  "SHARED_COST",
  "VOIP",
  "PERSONAL_NUMBER",
  "PAGER",
  "UAN",
  "VOICEMAIL",
] as const;

export type NumberType = (typeof NUMBER_TYPES)[number];

/** The facts of one number, worked out on first use. */
export interface PhoneFacts {
  readonly phoneNumber: string;
  readonly country: string;
  /** The E.164 number less its last `prefixStrip` digits. */
  readonly prefix: string;
  /** undefined when libphonenumber cannot tell (then no type rule matches). */
  numberType(): NumberType | undefined;
}

/** Numbers whose type is remembered; a Map in insertion order is the eviction queue. */
const TYPE_CACHE_LIMIT = 4_096;
const typeCache = new Map<string, NumberType | undefined>();

/** The prefix the prefix guards key on: "+12025550100" with strip 4 is "+1202555". */
export function prefixOf(e164: string, prefixStrip: number): string {
  // Keep the "+" and at least one digit, so a short number still has a prefix of its own.
  return e164.slice(0, Math.max(2, e164.length - prefixStrip));
}

/** A number's facts; `knownType` is the type the caller already worked out (Start's validity check gives it for free). */
export function phoneFacts(phoneNumber: string, country: string, prefixStrip: number, knownType?: string): PhoneFacts {
  return new LazyPhoneFacts(phoneNumber, country, prefixOf(phoneNumber, prefixStrip), knownType);
}

/** A class, not a closure per call: a Start makes one, and the type is worked out at most once. */
class LazyPhoneFacts implements PhoneFacts {
  readonly phoneNumber: string;
  readonly country: string;
  readonly prefix: string;
  readonly #knownType: string | undefined;
  #resolved = false;
  #type: NumberType | undefined;

  constructor(phoneNumber: string, country: string, prefix: string, knownType: string | undefined) {
    this.phoneNumber = phoneNumber;
    this.country = country;
    this.prefix = prefix;
    this.#knownType = knownType;
  }

  numberType(): NumberType | undefined {
    if (!this.#resolved) {
      this.#type = this.#knownType !== undefined ? asNumberType(this.#knownType) : numberTypeOf(this.phoneNumber);
      this.#resolved = true;
    }
    return this.#type;
  }
}

/** libphonenumber's type of an E.164 number, from the cache when it was seen lately. */
export function numberTypeOf(e164: string): NumberType | undefined {
  if (typeCache.has(e164)) return typeCache.get(e164);
  let type: NumberType | undefined;
  try {
    type = asNumberType(parsePhoneNumberWithError(e164).getType());
  } catch {
    type = undefined;
  }
  if (typeCache.size >= TYPE_CACHE_LIMIT) typeCache.delete(typeCache.keys().next().value!);
  typeCache.set(e164, type);
  return type;
}

const NUMBER_TYPE_SET: ReadonlySet<string> = new Set(NUMBER_TYPES);

function asNumberType(value: string | undefined): NumberType | undefined {
  return value !== undefined && NUMBER_TYPE_SET.has(value) ? (value as NumberType) : undefined;
}
