import { describe, expect, test } from "vitest";
import { CHANNELS, FINISHED_STATUSES, isActive, isFinished, PROVIDER_ERROR_KINDS, TERMINAL_EVENTS, type VerificationStatus } from "../../src/verification/model.js";

describe("model", () => {
  test.each<[VerificationStatus, boolean]>([
    ["pending", false],
    ["submitted", false],
    ["delivered", false],
    ["verified", true],
    ["failed", true],
    ["expired", true],
    ["locked", true],
    ["canceled", true],
  ])("a %s verification is finished: %s", (status, done) => {
    expect(isFinished(status)).toBe(done);
    expect(isActive({ status })).toBe(!done);
  });

  test("the finished statuses and terminal events are the same five", () => {
    expect([...FINISHED_STATUSES].sort()).toEqual(["canceled", "expired", "failed", "locked", "verified"]);
    expect([...TERMINAL_EVENTS].sort()).toEqual(["canceled", "expired", "failed", "locked", "verified"]);
  });

  test("channels and provider error kinds are listed in order", () => {
    expect(CHANNELS).toEqual(["sms", "voice", "whatsapp"]);
    expect(PROVIDER_ERROR_KINDS).toEqual(["invalid_number", "no_route", "rate_limited", "auth", "unavailable"]);
  });
});
