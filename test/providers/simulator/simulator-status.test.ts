import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { DeliveryReport } from "../../../src/providers/adapter.js";
import { live, message, simulator } from "./fixtures.js";

describe("SimulatorProvider status queries", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("a delivered message answers 'sent' until dlr_delay_ms has passed, then delivered", async () => {
    const sim = simulator({ default: { outcome: "deliver", dlr_delay_ms: 500 } });
    const { providerMessageId } = await sim.send(message("+12025550100"), live());

    expect(await sim.queryStatus(providerMessageId, live())).toEqual({
      provider: "sim-a",
      state: "intermediate",
      providerMessageId,
      providerStatus: "sent",
      at: 1_700_000_000_000,
    });
    vi.advanceTimersByTime(500);
    expect(await sim.queryStatus(providerMessageId, live())).toMatchObject({ state: "delivered", providerStatus: "delivered", at: 1_700_000_000_500 });
  });

  test("an id the simulator never gave is unknown", async () => {
    const sim = simulator({});

    expect(await sim.queryStatus("sim-a-999", live())).toBeUndefined();
  });

  test("silent_deliver accepts, sends no receipt, and a status query answers delivered", async () => {
    const receipts: DeliveryReport[] = [];
    const sim = simulator({ default: { outcome: "silent_deliver", dlr_delay_ms: 200 } }, receipts);

    const { providerMessageId } = await sim.send(message("+12025550150"), live());
    vi.advanceTimersByTime(3_600_000);

    expect(receipts).toEqual([]);
    expect(sim.outbox("+12025550150")).toHaveLength(1);
    expect(await sim.queryStatus(providerMessageId, live())).toMatchObject({
      provider: "sim-a",
      state: "delivered",
      providerMessageId,
      providerStatus: "delivered",
    });
  });

  test("silent_undelivered accepts, sends no receipt, and a status query answers undelivered with an error", async () => {
    const receipts: DeliveryReport[] = [];
    const sim = simulator({ default: { outcome: "silent_undelivered" } }, receipts);

    const { providerMessageId } = await sim.send(message("+12025550160"), live());
    vi.advanceTimersByTime(0);

    expect(receipts).toEqual([]);
    const report = await sim.queryStatus(providerMessageId, live());
    expect(report).toMatchObject({ state: "undelivered", providerStatus: "undelivered", providerMessageId });
    expect(report?.error).toBeTruthy();
  });

  test("an undelivered receipt and a later status query agree", async () => {
    const receipts: DeliveryReport[] = [];
    const sim = simulator({ default: { outcome: "undelivered", dlr_delay_ms: 100 } }, receipts);

    const { providerMessageId } = await sim.send(message("+12025550140"), live());
    vi.advanceTimersByTime(100);

    expect(receipts).toHaveLength(1);
    expect(await sim.queryStatus(providerMessageId, live())).toMatchObject({ state: receipts[0]!.state, providerStatus: receipts[0]!.providerStatus });
  });

  test("a dropped message stays 'sent' for ever, so polling does not stop slow failover", async () => {
    const sim = simulator({ default: { outcome: "drop" } });

    const { providerMessageId } = await sim.send(message("+12025550120"), live());
    vi.advanceTimersByTime(3_600_000);

    expect(await sim.queryStatus(providerMessageId, live())).toMatchObject({ state: "intermediate", providerStatus: "sent" });
  });

  test("a status query takes the rule's latency_ms and stops when the caller aborts", async () => {
    const sim = simulator({ default: { outcome: "silent_deliver", latency_ms: 200 } });
    const sending = sim.send(message("+12025550100"), live());
    await vi.advanceTimersByTimeAsync(200);
    const { providerMessageId } = await sending;

    const controller = new AbortController();
    const querying = sim.queryStatus(providerMessageId, controller.signal);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error("status query timed out"));

    await expect(querying).rejects.toThrow();
  });

  test("remembers at most status_limit messages, forgetting the oldest", async () => {
    const sim = simulator({ status_limit: 2, default: { outcome: "silent_deliver" } });

    const ids: string[] = [];
    for (const to of ["+12025550100", "+12025550101", "+12025550102"]) ids.push((await sim.send(message(to), live())).providerMessageId);

    expect(await sim.queryStatus(ids[0]!, live())).toBeUndefined();
    expect(await sim.queryStatus(ids[2]!, live())).toMatchObject({ providerMessageId: ids[2] });
  });

  test("a rejected send leaves nothing to query", async () => {
    const sim = simulator({ default: { outcome: "reject", error: "no_route" } });

    await expect(sim.send(message("+12025550110"), live())).rejects.toThrow();

    expect(await sim.queryStatus("sim-a-1", live())).toBeUndefined();
  });
});
