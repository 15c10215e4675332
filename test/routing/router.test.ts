import { describe, expect, test } from "vitest";
import type { BreakerState } from "../../src/gateway/breakers.js";
import type { ProviderAdapter } from "../../src/providers/adapter.js";
import { Router, type RouterOptions } from "../../src/routing/router.js";
import { RoutingTable } from "../../src/routing/routing-table.js";
import { DEFAULT_SCORING, Scorer } from "../../src/routing/scorer.js";
import { FakeClock, T0 } from "../support/clock.js";
import { ScriptedProvider, seededGenerator } from "../support/fakes.js";
import { order } from "./scenario.js";

const MIN_SAMPLES = 10;
const NAMES = ["a", "b", "c", "d", "e"] as const;
const PRICES: Record<string, number> = { a: 0.1, b: 0.05, c: 0.02, d: 0.01, e: 0.001 };
const adapters = new Map<string, ProviderAdapter>(NAMES.map((name) => [name, new ScriptedProvider(name, ["sms"])]));

function setup(options: Partial<RouterOptions> & { countries?: Record<string, string[]> } = {}) {
  const clock = new FakeClock(T0);
  const scorer = new Scorer({ ...DEFAULT_SCORING, minSamples: MIN_SAMPLES, explorationShare: 0.05 }, () => clock.now());
  const table = new RoutingTable({ default: [...NAMES], countries: options.countries ?? {} }, adapters);
  const router = new Router({
    table,
    scorer,
    defaultStrategy: "score",
    costOf: (provider) => PRICES[provider] ?? 0,
    random: () => 0.999,
    ...options,
  });
  return { scorer, router };
}

/**
 * Gives a provider `verified` delivered-and-verified sends out of MIN_SAMPLES
 * accepted, with no receipts timed and no rejections, so its score is
 * 0.5·k/10 + 0.25·k/10 + 0.15 = 0.15 + 0.075·k (k = verified).
 */
function perform(scorer: Scorer, provider: string, country: string, verified: number): void {
  for (let i = 0; i < MIN_SAMPLES; i++) scorer.recordAccepted(provider, country, "sms", PRICES[provider] ?? 0);
  for (let i = 0; i < verified; i++) {
    scorer.recordDelivered(provider, country, "sms", undefined);
    scorer.recordVerified(provider, country, "sms");
  }
}

describe("Router strategies", () => {
  test("static keeps the table order whatever the scores", () => {
    const { scorer, router } = setup({ defaultStrategy: "static" });
    perform(scorer, "a", "US", 0);
    perform(scorer, "e", "US", 10);
    const decision = router.route("US", "sms");
    expect(decision.strategy).toBe("static");
    expect(order(decision)).toEqual(["a", "b", "c", "d", "e"]);
    expect(decision.entries.map((entry) => entry.reason)).toEqual(NAMES.map((_, i) => `table position ${i + 1}`));
    expect(decision.entries.some((entry) => entry.demoted)).toBe(false);
  });

  test("without any scores the score strategy keeps the table order", () => {
    const { router } = setup();
    expect(order(router.route("US", "sms"))).toEqual(["a", "b", "c", "d", "e"]);
  });

  test("score reorders scored providers among their own slots and leaves unscored ones in place", () => {
    const { scorer, router } = setup();
    perform(scorer, "b", "US", 6); // 0.600
    perform(scorer, "d", "US", 10); // 0.900
    perform(scorer, "e", "US", 8); // 0.750
    const decision = router.route("US", "sms");
    // Slots 2, 4 and 5 are the scored ones; a and c keep slots 1 and 3.
    expect(order(decision)).toEqual(["a", "d", "c", "e", "b"]);
    expect(decision.entries.map((entry) => entry.reason)).toEqual(["table position 1", "score 0.900", "table position 3", "score 0.750", "score 0.600"]);
    expect(decision.entries.map((entry) => entry.tablePosition)).toEqual([0, 3, 2, 4, 1]);
  });

  test("equal scores keep their table order", () => {
    const { scorer, router } = setup();
    perform(scorer, "c", "US", 7);
    perform(scorer, "b", "US", 7);
    expect(order(router.route("US", "sms"))).toEqual(["a", "b", "c", "d", "e"]);
  });

  test("demoted providers go to the back, in table order, behind unscored ones", () => {
    const { scorer, router } = setup();
    perform(scorer, "a", "US", 0); // 0.150: under the absolute threshold
    perform(scorer, "b", "US", 3); // 0.375: under half of c's
    perform(scorer, "c", "US", 10); // 0.900
    const decision = router.route("US", "sms");
    expect(order(decision)).toEqual(["c", "d", "e", "a", "b"]);
    expect(decision.entries.map((entry) => entry.demoted)).toEqual([false, false, false, true, true]);
    expect(decision.entries[3]!.reason).toBe("demoted: score 0.150");
    expect(decision.entries[4]!.reason).toBe("demoted: score 0.375");
  });

  test("a provider demoted in one country keeps its place in another", () => {
    const { scorer, router } = setup();
    perform(scorer, "a", "ID", 0);
    perform(scorer, "b", "ID", 10);
    perform(scorer, "a", "DE", 10);
    expect(order(router.route("ID", "sms"))[0]).toBe("b");
    expect(order(router.route("DE", "sms"))[0]).toBe("a");
  });

  test("cost orders by price ÷ completion among providers above the quality floor; unscored, then the rest, follow", () => {
    const { scorer, router } = setup({ defaultStrategy: "cost" });
    perform(scorer, "a", "US", 9); // completion 0.9, 0.10 / 0.9 ≈ 0.1111
    perform(scorer, "b", "US", 6); // completion 0.6, 0.05 / 0.6 ≈ 0.0833
    perform(scorer, "c", "US", 4); // completion 0.4: under the floor (score 0.45, not demoted)
    // d is unscored
    perform(scorer, "e", "US", 0); // demoted, though the cheapest
    const decision = router.route("US", "sms");
    expect(decision.strategy).toBe("cost");
    expect(order(decision)).toEqual(["b", "a", "d", "c", "e"]);
    expect(decision.entries.map((entry) => entry.reason)).toEqual([
      "expected cost per success 0.0833",
      "expected cost per success 0.1111",
      "table position 4",
      "below quality floor: completion 0.40",
      "demoted: score 0.150",
    ]);
  });

  test("cost prefers the cheaper provider per success even when its score is lower", () => {
    const { scorer, router } = setup({ defaultStrategy: "cost" });
    perform(scorer, "c", "US", 10); // 0.02 / 1.0 = 0.02
    perform(scorer, "d", "US", 6); // 0.01 / 0.6 ≈ 0.0167
    expect(order(router.route("US", "sms")).slice(0, 2)).toEqual(["d", "c"]);
  });

  test("an open breaker marks its provider skipped and puts it last; half-open keeps its place", () => {
    const states: Record<string, BreakerState> = { a: "open", b: "half_open" };
    const { router } = setup({ breakerState: (provider) => states[provider] ?? "closed" });
    const decision = router.route("US", "sms");
    expect(order(decision)).toEqual(["b", "c", "d", "e", "a"]);
    expect(decision.entries[4]).toMatchObject({ skip: true, breaker: "open", reason: "circuit open (table position 1)" });
    expect(decision.entries[0]).toMatchObject({ skip: false, breaker: "half_open" });
    expect(decision.entries.filter((entry) => entry.skip)).toHaveLength(1);
  });

  test("an open breaker is skipped under the static strategy too", () => {
    const { router } = setup({ defaultStrategy: "static", breakerState: (provider) => (provider === "a" ? "open" : "closed") });
    const decision = router.route("US", "sms");
    expect(order(decision)).toEqual(["b", "c", "d", "e", "a"]);
    expect(decision.entries[4]!.skip).toBe(true);
  });

  test("a strategy set for a country overrides the default there only", () => {
    const { scorer, router } = setup({ strategies: { DE: "static", FR: "cost" } });
    for (const country of ["DE", "FR", "US"]) {
      perform(scorer, "a", country, 6);
      perform(scorer, "b", country, 10);
    }
    expect(router.route("DE", "sms").strategy).toBe("static");
    expect(order(router.route("DE", "sms")).slice(0, 2)).toEqual(["a", "b"]);
    expect(router.route("US", "sms").strategy).toBe("score");
    expect(order(router.route("US", "sms")).slice(0, 2)).toEqual(["b", "a"]);
    expect(router.route("FR", "sms").strategy).toBe("cost");
    expect(router.route("FR", "sms").entries[0]!.reason).toMatch(/^expected cost per success/);
  });

  test("a country's own table is the prior the scores reorder", () => {
    const { scorer, router } = setup({ countries: { DE: ["c", "b", "a"] } });
    perform(scorer, "a", "DE", 10);
    expect(order(router.route("DE", "sms"))).toEqual(["c", "b", "a"]);
    perform(scorer, "c", "DE", 5);
    expect(order(router.route("DE", "sms"))).toEqual(["a", "b", "c"]);
  });

  test("without a scorer every strategy routes by the table", () => {
    const table = new RoutingTable({ default: ["b", "a"], countries: {} }, adapters);
    const router = new Router({ table, defaultStrategy: "score", costOf: () => 0, random: () => 0 });
    expect(order(router.route("US", "sms"))).toEqual(["b", "a"]);
  });
});

describe("Router exploration", () => {
  function withDemoted(random: () => number, explorationShare = 0.05) {
    const clock = new FakeClock(T0);
    const scorer = new Scorer({ ...DEFAULT_SCORING, minSamples: MIN_SAMPLES, explorationShare }, () => clock.now());
    const table = new RoutingTable({ default: ["a", "b"], countries: {} }, adapters);
    const router = new Router({ table, scorer, defaultStrategy: "score", costOf: () => 0, random });
    perform(scorer, "a", "ID", 0); // demoted
    perform(scorer, "b", "ID", 10);
    return router;
  }

  test("an exploring route puts the demoted provider first and says why", () => {
    const decision = withDemoted(() => 0).route("ID", "sms");
    expect(order(decision)).toEqual(["a", "b"]);
    expect(decision.entries[0]).toMatchObject({ exploration: true, demoted: true, reason: "exploration (demoted: score 0.150)" });
  });

  test("a route that does not explore keeps the demoted provider last", () => {
    const decision = withDemoted(() => 0.999).route("ID", "sms");
    expect(order(decision)).toEqual(["b", "a"]);
    expect(decision.entries.some((entry) => entry.exploration)).toBe(false);
  });

  test("with nothing demoted no route is an exploration", () => {
    const { scorer, router } = setup({ random: () => 0 });
    perform(scorer, "a", "US", 10);
    perform(scorer, "b", "US", 9);
    const decision = router.route("US", "sms");
    expect(decision.entries.some((entry) => entry.exploration)).toBe(false);
  });

  test("an exploring route does not put a provider behind an open breaker first", () => {
    const clock = new FakeClock(T0);
    const scorer = new Scorer({ ...DEFAULT_SCORING, minSamples: MIN_SAMPLES }, () => clock.now());
    const table = new RoutingTable({ default: ["a", "b"], countries: {} }, adapters);
    const router = new Router({ table, scorer, defaultStrategy: "score", costOf: () => 0, random: () => 0, breakerState: (p) => (p === "a" ? "open" : "closed") });
    perform(scorer, "a", "ID", 0);
    perform(scorer, "b", "ID", 10);
    const decision = router.route("ID", "sms");
    expect(order(decision)).toEqual(["b", "a"]);
    expect(decision.entries[1]!.skip).toBe(true);
  });

  test("the share of routes that explore stays within four standard deviations of the configured share", () => {
    const share = 0.05;
    const routes = 20_000;
    const router = withDemoted(seededGenerator(20240101), share);
    let explored = 0;
    for (let i = 0; i < routes; i++) {
      const first = router.route("ID", "sms").entries[0]!;
      if (first.provider === "a") {
        expect(first.exploration).toBe(true);
        explored++;
      }
    }
    const sd = Math.sqrt(routes * share * (1 - share)); // ≈ 30.8
    expect(Math.abs(explored - routes * share)).toBeLessThanOrEqual(4 * sd);
  });

  test("with an exploration share of zero the demoted provider is never first", () => {
    const router = withDemoted(seededGenerator(7), 0);
    let explored = 0;
    for (let i = 0; i < 20_000; i++) if (router.route("ID", "sms").entries[0]!.provider === "a") explored++;
    expect(explored).toBe(0);
  });
});
