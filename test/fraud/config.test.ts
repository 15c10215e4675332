/** The `fraud` section: defaults that catch pumping, and a bad value stops start-up with a message naming the key. */
import { describe, expect, test } from "vitest";
import { parseConfig } from "../../src/config/load-config.js";
import { testConfigYaml } from "../support/config.js";

const parse = (fraud: unknown) => parseConfig(testConfigYaml({ fraud }), {}, "test config");

describe("fraud config", () => {
  test("defaults to enforce with every guard on", () => {
    const { fraud } = parseConfig(testConfigYaml({ fraud: undefined }).replace(/fraud:\n\s+mode: off\n/, ""), {}, "test config");
    expect(fraud).toEqual({
      mode: "enforce",
      geo: {},
      number_types: { all: ["PREMIUM_RATE", "SHARED_COST", "UAN", "VOICEMAIL", "PAGER", "PERSONAL_NUMBER"], sms: ["FIXED_LINE"] },
      prefix_velocity: { prefix_strip: 4, limit: 20, window: 600_000 },
      conversion_guard: { scope: ["prefix", "country"], window: 3_600_000, min_sends: 50, min_conversion: 0.2, block_for: 900_000, max_block: 43_200_000 },
      allow_numbers: [],
    });
  });

  test("names the key of an unknown country code, an unknown number type, a rate above 1 and the rest", () => {
    expect(() => parse({ geo: { sms: { allow: ["US", "XX"] } } })).toThrow(/fraud\.geo\.sms\.allow\[1\]: unknown country code "XX"/);
    expect(() => parse({ geo: { voice: { deny: ["cu"] } } })).toThrow(/fraud\.geo\.voice\.deny\[0\]: unknown country code "cu"/);
    expect(() => parse({ geo: { sms: { allow: ["US"], deny: ["CU"] } } })).toThrow(/fraud\.geo\.sms: give allow or deny, not both/);
    expect(() => parse({ number_types: { all: ["PREMIUM"] } })).toThrow(/fraud\.number_types\.all\[0\]: unknown number type "PREMIUM"; one of FIXED_LINE, MOBILE/);
    expect(() => parse({ conversion_guard: { min_conversion: 1.5 } })).toThrow(/fraud\.conversion_guard\.min_conversion: is a rate: at most 1/);
    expect(() => parse({ conversion_guard: { scope: ["region"] } })).toThrow(/fraud\.conversion_guard\.scope\[0\]/);
    expect(() => parse({ conversion_guard: { block_for: "2h", max_block: "1h" } })).toThrow(
      /fraud\.conversion_guard\.max_block: max_block must be at least block_for/,
    );
    expect(() => parse({ mode: "audit" })).toThrow(/fraud\.mode/);
    expect(() => parse({ allow_numbers: ["1202555*"] })).toThrow(/fraud\.allow_numbers\[0\]: expected an E\.164 number or prefix glob/);
    expect(() => parse({ prefix_velocity: { limit: 0 } })).toThrow(/fraud\.prefix_velocity\.limit/);
    expect(() => parse({ speed: 1 })).toThrow(/fraud\.speed: unknown key/);
  });
});
