import { type CountryCode, ParseError, parsePhoneNumberWithError } from "libphonenumber-js/max";
import { VerifyError } from "./errors.js";

export interface ParsedPhone {
  /** E.164, e.g. "+4915123456789". */
  e164: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** A parsed number with its libphonenumber type (MOBILE, FIXED_LINE, PREMIUM_RATE, ...). */
export interface TypedPhone extends ParsedPhone {
  numberType: string;
}

/**
 * Reads an E.164 number, or a national one with `defaultCountry`, and insists
 * it is a real, dialable number: sending codes to impossible numbers only
 * costs money and skews provider scores.
 */
export function parsePhone(input: string, defaultCountry?: string): ParsedPhone {
  const { e164, country } = parseTypedPhone(input, defaultCountry);
  return { e164, country };
}

/**
 * parsePhone, keeping the number's type. With the "max" metadata a number is
 * valid exactly when it has a type (libphonenumber-js's isValid is
 * `getNumberType(...) !== undefined` there), so the type costs nothing more
 * than the validity check; asked for separately it costs as much again.
 */
export function parseTypedPhone(input: string, defaultCountry?: string): TypedPhone {
  const text = input.trim();
  if (text === "") throw VerifyError.invalidArgument("phone_number is required");
  if (text.length > 40) throw VerifyError.invalidArgument("phone_number is too long");
  let country: CountryCode | undefined;
  if (defaultCountry) {
    const upper = defaultCountry.toUpperCase();
    if (!/^[A-Z]{2}$/.test(upper)) {
      throw VerifyError.invalidArgument(`default_country must be an ISO 3166-1 alpha-2 code, got "${defaultCountry}"`);
    }
    country = upper as CountryCode;
  }
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(text, country ? { defaultCountry: country } : undefined);
  } catch (error) {
    const why = error instanceof ParseError ? error.message : "unparseable";
    const hint = !country && !text.startsWith("+") ? " (use E.164, or set default_country)" : "";
    throw VerifyError.invalidArgument(`phone_number "${text}" cannot be parsed: ${why}${hint}`);
  }
  const numberType = parsed.getType();
  if (numberType === undefined) {
    throw VerifyError.invalidArgument(`phone_number "${text}" is not a valid number${parsed.country ? ` for ${parsed.country}` : ""}`);
  }
  const region = parsed.country;
  if (!region) throw VerifyError.invalidArgument(`phone_number "${text}" has no country`);
  return { e164: parsed.number, country: region, numberType };
}
