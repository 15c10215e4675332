import { describe, expect, test } from "vitest";
import { VerifyError } from "../../src/verification/errors.js";
import { parsePhone } from "../../src/verification/phone.js";

function refusal(input: string, defaultCountry?: string): VerifyError {
  try {
    parsePhone(input, defaultCountry);
  } catch (error) {
    if (error instanceof VerifyError) return error;
    throw error;
  }
  throw new Error(`parsePhone accepted ${input}`);
}

describe("parsePhone", () => {
  test("reads an E.164 number and its country", () => {
    expect(parsePhone("+12025550100")).toEqual({ e164: "+12025550100", country: "US" });
    expect(parsePhone("+4915123456789")).toEqual({ e164: "+4915123456789", country: "DE" });
  });

  test("trims surrounding spaces", () => {
    expect(parsePhone("  +12025550100  ")).toEqual({ e164: "+12025550100", country: "US" });
  });

  test("reads a national number with a default country, in any letter case", () => {
    expect(parsePhone("2025550100", "us")).toEqual({ e164: "+12025550100", country: "US" });
    expect(parsePhone("0301234567", "DE")).toEqual({ e164: "+49301234567", country: "DE" });
  });

  test("an E.164 number keeps its own country whatever the default", () => {
    expect(parsePhone("+1 202 555 0100", "DE")).toEqual({ e164: "+12025550100", country: "US" });
  });

  test.each(["", "   "])("refuses an empty number %j as required", (input) => {
    expect(refusal(input)).toMatchObject({ kind: "invalid_argument", message: "phone_number is required" });
  });

  test("accepts 40 characters but refuses 41 as too long", () => {
    const forty = "+12025550100".padEnd(40, "0");
    expect(refusal(forty).message).not.toBe("phone_number is too long");
    expect(refusal(forty.padEnd(41, "0"))).toMatchObject({ kind: "invalid_argument", message: "phone_number is too long" });
  });

  test.each(["USA", "U", "1A", "u1"])("refuses the default country %j that is not two letters", (country) => {
    expect(refusal("2025550100", country)).toMatchObject({
      kind: "invalid_argument",
      message: `default_country must be an ISO 3166-1 alpha-2 code, got "${country}"`,
    });
  });

  test("an unparseable number without a country hints at E.164", () => {
    expect(refusal("abc").message).toBe('phone_number "abc" cannot be parsed: NOT_A_NUMBER (use E.164, or set default_country)');
  });

  test("an unparseable number with a default country gets no hint", () => {
    expect(refusal("abc", "US").message).toBe('phone_number "abc" cannot be parsed: NOT_A_NUMBER');
  });

  test("an unparseable number starting with + gets no hint", () => {
    expect(refusal("+1").message).toBe('phone_number "+1" cannot be parsed: TOO_SHORT');
  });

  test("a number of a known country that cannot be dialled is not valid for that country", () => {
    expect(refusal("+491234")).toMatchObject({ kind: "invalid_argument", message: 'phone_number "+491234" is not a valid number for DE' });
  });

  test("an invalid number whose country cannot be told is just not valid", () => {
    expect(refusal("+19991234567").message).toBe('phone_number "+19991234567" is not a valid number');
  });

  test("a valid non-geographic number is refused for having no country", () => {
    expect(refusal("+80012345678").message).toBe('phone_number "+80012345678" has no country');
  });
});
