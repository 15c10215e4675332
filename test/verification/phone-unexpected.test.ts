/** parsePhone when the phone library fails in a way it does not document (not a ParseError). */
import { expect, test, vi } from "vitest";
import { parsePhone } from "../../src/verification/phone.js";

vi.mock("libphonenumber-js/max", async (importOriginal) => {
  const actual = await importOriginal<typeof import("libphonenumber-js/max")>();
  return {
    ...actual,
    parsePhoneNumberWithError: () => {
      throw new TypeError("metadata missing");
    },
  };
});

test("an unexpected failure of the phone library reads as unparseable, without leaking its message", () => {
  expect(() => parsePhone("+12025550100")).toThrow('phone_number "+12025550100" cannot be parsed: unparseable');
});
