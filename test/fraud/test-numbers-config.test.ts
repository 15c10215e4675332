/** The composition root's handling of test numbers: the start-up warning, and observers that never see them. */
import { describe, expect, test } from "vitest";
import { testNumbersOf, withoutTestNumbers } from "../../src/server/build-fraud.js";
import type { VerificationEvent, VerificationRecord } from "../../src/verification/model.js";
import { testConfig } from "../support/config.js";

function capturingLogger() {
  const lines: Array<{ level: string; object: object; message?: string }> = [];
  const at = (level: string) => (object: object, message?: string) => void lines.push({ level, object, message });
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

const event = (phoneNumber: string) => ({ type: "verified", verification: { phoneNumber } as VerificationRecord }) as VerificationEvent;

describe("test numbers at start-up", () => {
  test("a warning lists the test numbers in force, so a forgotten one is seen", () => {
    const { lines, logger } = capturingLogger();
    const numbers = testNumbersOf(testConfig({ test_numbers: [{ number: "+15005550100", code: "246810" }] }), logger);
    expect([...numbers]).toEqual([["+15005550100", "246810"]]);
    expect(lines).toEqual([
      {
        level: "warn",
        object: { testNumbers: ["+15005550100"] },
        message: "test numbers in force (1): +15005550100; they approve a fixed code and are never sent to, limited or guarded",
      },
    ]);
  });

  test("without test numbers nothing is logged", () => {
    const { lines, logger } = capturingLogger();
    expect(testNumbersOf(testConfig(), logger).size).toBe(0);
    expect(lines).toEqual([]);
  });

  test("the observers (scorer, metrics, the guard's verified signal) are handed every event but a test number's", () => {
    const seen: string[] = [];
    const observer = withoutTestNumbers((events) => seen.push(...events.map((e) => e.verification.phoneNumber)), new Map([["+15005550100", "1234"]]));
    observer!([event("+15005550100"), event("+12025550100")]);
    observer!([event("+15005550100")]);
    expect(seen).toEqual(["+12025550100"]);
  });
});
