/** Each guard as a pure function: settings, facts, a state snapshot and `now` in, a typed decision out. */
import { describe, expect, test } from "vitest";
import { judgeConversion, nextBlock, type ScopeView } from "../../src/fraud/guards/conversion.js";
import { geoDecision } from "../../src/fraud/guards/geo.js";
import { numberTypeDecision } from "../../src/fraud/guards/number-type.js";
import { velocityDecision } from "../../src/fraud/guards/prefix-velocity.js";
import type { StoredBlock } from "../../src/fraud/state.js";
import { type Bucket, emptyBucket } from "../../src/fraud/window.js";
import { T0 } from "../support/clock.js";
import { factsOf, MINUTE, settingsOf } from "./support.js";

const bucket = (start: number, counts: Partial<Bucket>): Bucket => ({ ...emptyBucket(start), ...counts });

describe("geo", () => {
  test("an allow list lets only its countries through; a deny list all but its own; no rule, every country", () => {
    const settings = settingsOf({ geo: { sms: { allow: ["US", "CA"] }, voice: { deny: ["CU"] } } });
    expect(geoDecision(settings, "US", "sms")).toEqual({
      guard: "geo",
      decision: "allow",
      reason: "geo_blocked",
      figures: { country: "US", channel: "sms", rule: "allow" },
    });
    expect(geoDecision(settings, "FR", "sms").decision).toBe("block");
    expect(geoDecision(settings, "CU", "voice")).toMatchObject({ decision: "block", figures: { country: "CU", channel: "voice", rule: "deny" } });
    expect(geoDecision(settings, "FR", "voice").decision).toBe("allow");
    expect(geoDecision(settings, "CU", "whatsapp")).toMatchObject({ decision: "allow", figures: { rule: "none" } });
  });
});

describe("number types", () => {
  test("the defaults refuse premium-rate and the like on every channel and fixed lines on SMS only", () => {
    const settings = settingsOf();
    expect(numberTypeDecision(settings, factsOf("+19005550123", "US", "PREMIUM_RATE"), "voice")).toMatchObject({
      decision: "block",
      reason: "number_type",
      figures: { number_type: "PREMIUM_RATE", channel: "voice" },
    });
    expect(numberTypeDecision(settings, factsOf("+390612345678", "IT", "FIXED_LINE"), "sms").decision).toBe("block");
    expect(numberTypeDecision(settings, factsOf("+390612345678", "IT", "FIXED_LINE"), "voice").decision).toBe("allow");
    expect(numberTypeDecision(settings, factsOf("+12025550100", "US", "FIXED_LINE_OR_MOBILE"), "sms").decision).toBe("allow");
    expect(numberTypeDecision(settings, factsOf("+12025550100", "US", undefined), "sms")).toMatchObject({ decision: "allow", figures: { number_type: "UNKNOWN" } });
  });

  test("a channel that denies no type never works out the number's type (it costs ~20 µs)", () => {
    const facts = factsOf("+12025550100", "US", "MOBILE") as ReturnType<typeof factsOf> & { asked: number };
    expect(numberTypeDecision(settingsOf({ number_types: { sms: ["PAGER"] } }), facts, "voice")).toMatchObject({
      decision: "allow",
      figures: { number_type: "unchecked" },
    });
    expect(facts.asked).toBe(0);
  });
});

describe("prefix velocity", () => {
  const settings = settingsOf({ prefix_velocity: { limit: 20, window: "10m" } });

  test("the send that would be the 21st in the window is refused; 19 pass", () => {
    expect(velocityDecision(settings, "+1202555", [bucket(T0, { sends: 19 })], T0 + 30_000)).toMatchObject({ decision: "allow", figures: { sends: 19, limit: 20 } });
    expect(velocityDecision(settings, "+1202555", [bucket(T0, { sends: 20 })], T0 + 30_000)).toEqual({
      guard: "prefix_velocity",
      decision: "block",
      reason: "prefix_velocity",
      figures: { prefix: "+1202555", sends: 20, limit: 20, window_ms: 600_000 },
    });
  });

  test("sends leave the window as the clock moves: the oldest bucket counts for its share still inside", () => {
    const buckets = [bucket(T0, { sends: 20 })];
    // A minute-long bucket, the window's start half way through it: half its sends count.
    expect(velocityDecision(settings, "+1202555", buckets, T0 + 10 * MINUTE + 30_000).figures.sends).toBe(10);
    expect(velocityDecision(settings, "+1202555", buckets, T0 + 11 * MINUTE).decision).toBe("allow");
    expect(velocityDecision(settings, "+1202555", buckets, T0 + 11 * MINUTE).figures.sends).toBe(0);
  });
});

describe("the conversion guard", () => {
  const settings = settingsOf({ conversion_guard: { window: "1h", min_sends: 50, min_conversion: 0.2, block_for: "15m", max_block: "1h" } });
  const prefixView = (buckets: Bucket[], block?: StoredBlock): ScopeView => ({ scope: "prefix", key: "+1202555", country: "US", buckets, block });

  test("judges a prefix only from min_sends sends, and blocks it when verified ÷ sent is under min_conversion", () => {
    expect(judgeConversion(settings, prefixView([bucket(T0, { sends: 49 })]), T0 + MINUTE).decision.decision).toBe("allow");
    const judged = judgeConversion(settings, prefixView([bucket(T0, { sends: 50, verified: 9 })]), T0 + MINUTE);
    expect(judged.decision).toMatchObject({
      decision: "block",
      reason: "conversion_guard",
      figures: { scope: "prefix", prefix: "+1202555", sends: 50, verified: 9, conversion: 0.18, level: 1 },
    });
    expect(judged.newBlock).toMatchObject({ scope: "prefix", key: "+1202555", country: "US", level: 1, since: T0 + MINUTE, until: T0 + 16 * MINUTE });
    expect(judgeConversion(settings, prefixView([bucket(T0, { sends: 50, verified: 10 })]), T0 + MINUTE).decision.decision).toBe("allow");
  });

  test("a block in force refuses whatever the figures say now, and ends at its until", () => {
    const block = nextBlock(settings, prefixView([]), {}, T0);
    expect(judgeConversion(settings, prefixView([bucket(T0, { sends: 1, verified: 1 })], block), T0 + 14 * MINUTE)).toMatchObject({
      decision: { decision: "block" },
    });
    expect(judgeConversion(settings, prefixView([bucket(T0, { sends: 1, verified: 1 })], block), T0 + 15 * MINUTE)).toEqual({
      decision: expect.objectContaining({ decision: "allow" }),
    });
  });

  test("a repeat while the last block is remembered doubles, up to max_block; a block forgotten starts again at level 1", () => {
    const first = nextBlock(settings, prefixView([]), {}, T0);
    const second = nextBlock(settings, prefixView([], first), {}, first.until);
    const third = nextBlock(settings, prefixView([], second), {}, second.until);
    const fourth = nextBlock(settings, prefixView([], third), {}, third.until);
    expect([first, second, third, fourth].map((block) => [block.level, (block.until - block.since) / MINUTE])).toEqual([
      [1, 15],
      [2, 30],
      [3, 60],
      [4, 60],
    ]);
    expect(nextBlock(settings, prefixView([], first), {}, first.forgetAt).level).toBe(1);
  });

  test("a country is judged on its new ranges, and its block lets a proven range through", () => {
    const countryView = (provenRange: boolean, block?: StoredBlock): ScopeView => ({
      scope: "country",
      key: "UZ",
      country: "UZ",
      buckets: [bucket(T0, { sends: 500, verified: 400, newSends: 60, newVerified: 5 })],
      block,
      provenRange,
    });
    const judged = judgeConversion(settings, countryView(false), T0 + MINUTE);
    expect(judged.decision).toMatchObject({ decision: "block", figures: { scope: "country", country: "UZ", sends: 60, verified: 5, proven_range: false } });
    const proven = judgeConversion(settings, countryView(true, judged.newBlock), T0 + 2 * MINUTE);
    expect(proven).toEqual({ decision: expect.objectContaining({ decision: "allow", figures: expect.objectContaining({ proven_range: true, level: 1 }) }) });
  });
});
