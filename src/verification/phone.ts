import { type CountryCode, ParseError, parsePhoneNumberWithError } from "libphonenumber-js/max";
import { VerifyError } from "./errors.js";

export interface ParsedPhone {
  /** E.164, e.g. "+4915123456789". */
  e164: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/**
 * Reads an E.164 number, or a national one with `defaultCountry`, and insists
 * it is a real, dialable number: sending codes to impossible numbers only
 * costs money and skews provider scores.
 */
export function parsePhone(input: string, defaultCountry?: string): ParsedPhone {
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
  if (!parsed.isValid()) {
    throw VerifyError.invalidArgument(`phone_number "${text}" is not a valid number${parsed.country ? ` for ${parsed.country}` : ""}`);
  }
  const region = parsed.country;
  if (!region) throw VerifyError.invalidArgument(`phone_number "${text}" has no country`);
  return { e164: parsed.number, country: region };
}
