import { type CountryCode, getCountryCallingCode, ParseError, parsePhoneNumberWithError } from "libphonenumber-js/max";
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

/**
 * A number as an operator may see it in a list: the country calling code,
 * the first two and the last two digits of the national number, one `*` per
 * digit hidden ("+4915*******89"). A short national number shows less, so
 * that at least four digits are always hidden.
 */
export function maskPhoneNumber(e164: string, country: string): string {
  const digits = e164.replace(/^\+/, "");
  const callingCode = callingCodeOf(country);
  const codeLength = callingCode !== undefined && digits.startsWith(callingCode) ? callingCode.length : Math.min(1, digits.length);
  const national = digits.slice(codeLength);
  const shown = Math.max(0, Math.min(2, Math.floor((national.length - 4) / 2)));
  const hidden = national.length - 2 * shown;
  return `+${digits.slice(0, codeLength)}${national.slice(0, shown)}${"*".repeat(hidden)}${shown > 0 ? national.slice(-shown) : ""}`;
}

function callingCodeOf(country: string): string | undefined {
  try {
    return getCountryCallingCode(country as CountryCode);
  } catch {
    // A country libphonenumber does not know: the number's first digit stands in for its code.
    return undefined;
  }
}
