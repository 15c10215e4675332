import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { type DeliveryReport, ProviderError } from "../../../src/providers/adapter.js";
import { globMatcher } from "../../../src/providers/simulator/simulator.js";
import { live, message, simulator } from "./fixtures.js";

describe("globMatcher", () => {
  test("a trailing * matches every number with that prefix", () => {
    const matches = globMatcher("+1202555011*");

    expect(matches("+12025550110")).toBe(true);
    expect(matches("+12025550119")).toBe(true);
    expect(matches("+12025550120")).toBe(false);
    expect(matches("+112025550110")).toBe(false);
  });

  test("the + is literal, not a regular-expression quantifier", () => {
    expect(globMatcher("+1*")("11")).toBe(false);
    expect(globMatcher("+1*")("+1")).toBe(true);
  });

  test("without * the match is exact", () => {
    expect(globMatcher("+12025550100")("+12025550100")).toBe(true);
    expect(globMatcher("+12025550100")("+120255501001")).toBe(false);
  });
});

describe("SimulatorProvider", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("uses the first rule whose prefix glob matches, and the default for other numbers", () => {
    const sim = simulator({
      default: { outcome: "deliver" },
      rules: [
        { match: "+1202555011*", outcome: "reject", error: "no_route" },
        { match: "+120255501*", outcome: "drop" },
      ],
    });

    expect(sim.ruleFor("+12025550112").outcome).toBe("reject");
    expect(sim.ruleFor("+12025550123").outcome).toBe("drop");
    expect(sim.ruleFor("+4915123456789").outcome).toBe("deliver");
  });

  test("a reject rule throws a ProviderError with the configured kind and records nothing", async () => {
    const sim = simulator({ rules: [{ match: "+1202555011*", outcome: "reject", error: "invalid_number" }] });

    const error = await sim.send(message("+12025550110"), live()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: "invalid_number", provider: "sim-a" });
    expect(sim.outbox()).toEqual([]);
  });

  test("deliver accepts, records the message, and reports DELIVERED to the sink after dlr_delay_ms", async () => {
    const receipts: DeliveryReport[] = [];
    const sim = simulator({ default: { outcome: "deliver", dlr_delay_ms: 500 } }, receipts);

    const result = await sim.send(message("+12025550100", 2), live());

    expect(result.providerMessageId).toMatch(/^sim-a-/);
    expect(sim.outbox("+12025550100")).toMatchObject([{ provider: "sim-a", channel: "sms", to: "+12025550100", body: "code 123456 for +12025550100" }]);
    vi.advanceTimersByTime(499);
    expect(receipts).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({
      provider: "sim-a",
      state: "delivered",
      reference: { verificationId: "ver_x", attemptNumber: 2 },
      providerMessageId: result.providerMessageId,
    });
  });

  test("undelivered accepts and then reports UNDELIVERED with an error", async () => {
    const receipts: DeliveryReport[] = [];
    const sim = simulator({ default: { outcome: "undelivered", dlr_delay_ms: 100 } }, receipts);

    await sim.send(message("+12025550100"), live());
    vi.advanceTimersByTime(100);

    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.state).toBe("undelivered");
    expect(receipts[0]!.error).toBeTruthy();
  });

  test("drop accepts and never reports", async () => {
    const receipts: DeliveryReport[] = [];
    const sim = simulator({ default: { outcome: "drop" } }, receipts);

    await sim.send(message("+12025550100"), live());
    vi.advanceTimersByTime(3_600_000);

    expect(receipts).toEqual([]);
    expect(sim.outbox()).toHaveLength(1);
  });

  test("timeout never answers until the caller aborts", async () => {
    const sim = simulator({ default: { outcome: "timeout" } });
    const controller = new AbortController();
    let settled = false;

    const sending = sim.send(message("+12025550100"), controller.signal).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(settled).toBe(false);
    controller.abort(new Error("caller gave up"));

    await expect(sending).rejects.toThrow("caller gave up");
    expect(sim.outbox()).toEqual([]);
  });

  test("waits latency_ms before answering", async () => {
    const sim = simulator({ default: { outcome: "deliver", latency_ms: 200 } });
    let settled = false;

    const sending = sim.send(message("+12025550100"), live()).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(199);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);

    await expect(sending).resolves.toHaveProperty("providerMessageId");
  });

  test("keeps at most outbox_limit messages, dropping the oldest", async () => {
    const sim = simulator({ outbox_limit: 2, default: { outcome: "drop" } });

    for (const to of ["+12025550100", "+12025550101", "+12025550102"]) await sim.send(message(to), live());

    expect(sim.outbox().map((m) => m.to)).toEqual(["+12025550101", "+12025550102"]);
  });

  test("keeps nothing with outbox_limit 0", async () => {
    const sim = simulator({ outbox_limit: 0, default: { outcome: "drop" } });

    await sim.send(message("+12025550100"), live());

    expect(sim.outbox()).toEqual([]);
  });

  test("close cancels receipts not yet reported", async () => {
    const receipts: DeliveryReport[] = [];
    const sim = simulator({ default: { outcome: "deliver", dlr_delay_ms: 500 } }, receipts);
    await sim.send(message("+12025550100"), live());

    sim.close();
    vi.advanceTimersByTime(1_000);

    expect(receipts).toEqual([]);
  });
});
