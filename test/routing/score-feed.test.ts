import { describe, expect, test } from "vitest";
import type { VerificationRecord } from "../../src/verification/model.js";
import { createRig, testProvider } from "./support/rig.js";

/**
 * The scorer learns only from the verification events the service publishes;
 * these drive real verifications and read what each provider was credited with.
 */
const PHONE = "+4915123456789";
const DELIVERY_WINDOW_MS = 30_000;

function setup() {
  const a = testProvider("a", "accept", ["sms"], 0.07);
  const b = testProvider("b", "accept", ["sms"], 0.05);
  const rig = createRig({ providers: [a, b], policy: { deliveryWindowMs: DELIVERY_WINDOW_MS } });
  const stats = (provider: string) => rig.scorer!.stats(provider, "DE", "sms");
  const receipt = (record: VerificationRecord, attemptNumber: number, state: "delivered" | "undelivered" = "delivered") =>
    rig.service.handleReceipt({
      provider: record.attempts[attemptNumber - 1]!.provider,
      state,
      reference: { verificationId: record.id, attemptNumber },
      at: rig.clock.now(),
    });
  /** Start on A, then let A's delivery window run out so the timer fails over to B. */
  const startAndFailOver = async () => {
    const started = await rig.service.start({ phoneNumber: PHONE });
    rig.clock.advance(DELIVERY_WINDOW_MS);
    await rig.runTimers();
    const record = await rig.service.get(started.id);
    expect(record.attempts.map((x) => [x.provider, x.status])).toEqual([
      ["a", "timed_out"],
      ["b", "submitted"],
    ]);
    return record;
  };
  return { a, b, rig, stats, receipt, startAndFailOver };
}

describe("scoreFeed: turning verification events into provider statistics", () => {
  test("a late DELIVERED for attempt 1 after failover still counts for attempt 1's provider, timed from its own send", async () => {
    const { rig, stats, receipt, startAndFailOver } = setup();
    const record = await startAndFailOver();
    rig.clock.advance(5_000);
    await receipt(record, 1);
    expect(stats("a")).toMatchObject({ accepted: 1, delivered: 1 });
    expect(stats("b")).toMatchObject({ accepted: 1, delivered: 0 });
    // 35 s after A's send: the [32 s, 64 s) bin, read as √(32 000 · 64 000) ≈ 45 255 ms.
    expect(stats("a").medianTimeToDeliveryMs).toBe(45_255);
  });

  test("a verification is credited to the provider of the last delivered attempt, even when a later attempt was sent", async () => {
    const { a, rig, stats, receipt, startAndFailOver } = setup();
    const record = await startAndFailOver();
    await receipt(record, 1);
    expect((await rig.service.check(record.id, a.lastCodeTo(PHONE))).approved).toBe(true);
    expect(stats("a").verified).toBe(1);
    expect(stats("b").verified).toBe(0);
  });

  test("when both attempts were delivered the later attempt's provider is credited", async () => {
    const { b, rig, stats, receipt, startAndFailOver } = setup();
    const record = await startAndFailOver();
    await receipt(record, 1);
    await receipt(record, 2);
    expect((await rig.service.check(record.id, b.lastCodeTo(PHONE))).approved).toBe(true);
    expect(stats("a")).toMatchObject({ delivered: 1, verified: 0 });
    expect(stats("b")).toMatchObject({ delivered: 1, verified: 1 });
  });

  test("without any receipt a verification is credited to the last accepted attempt's provider", async () => {
    const { b, rig, stats, startAndFailOver } = setup();
    const record = await startAndFailOver();
    expect((await rig.service.check(record.id, b.lastCodeTo(PHONE))).approved).toBe(true);
    expect(stats("a").verified).toBe(0);
    expect(stats("b").verified).toBe(1);
  });

  test("a refusal counts as a rejection for the provider that refused, and an acceptance adds the accepting provider's price", async () => {
    const { a, rig, stats } = setup();
    a.behave("no_route");
    const record = await rig.service.start({ phoneNumber: PHONE });
    expect(record.attempts.map((x) => [x.provider, x.status])).toEqual([
      ["a", "rejected"],
      ["b", "submitted"],
    ]);
    expect(stats("a")).toMatchObject({ accepted: 0, rejected: 1, spend: 0, acceptanceRate: 0 });
    expect(stats("b")).toMatchObject({ accepted: 1, rejected: 0, spend: 0.05, acceptanceRate: 1 });
  });

  test("an UNDELIVERED receipt is counted for its attempt's provider", async () => {
    const { rig, stats, receipt } = setup();
    const started = await rig.service.start({ phoneNumber: PHONE });
    await receipt(started, 1, "undelivered");
    expect(stats("a")).toMatchObject({ accepted: 1, delivered: 0, undelivered: 1 });
  });

  test("a duplicate receipt is not counted twice", async () => {
    const { rig, stats, receipt } = setup();
    const started = await rig.service.start({ phoneNumber: PHONE });
    await receipt(started, 1);
    await receipt(started, 1);
    expect(stats("a").delivered).toBe(1);
  });
});
