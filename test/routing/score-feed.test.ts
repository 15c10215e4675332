import { afterEach, describe, expect, test } from "vitest";
import { AttemptStatus, type Verification } from "../../gen/verify/v1/verify_pb.js";
import { FakeClock, T0 } from "../support/clock.js";
import type { ConfigLayer } from "../support/config.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { lastCodeFrom, receipt, silentProvider } from "./scenario.js";

/**
 * The scorer learns only from the verification events the service publishes;
 * these drive real verifications through a real server and read what each
 * provider was credited with. The clock and the timer loop are the test's.
 */
const PHONE = "+4915123456789";
const DELIVERY_WINDOW_MS = 30_000;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** `a` (0.07 a message) first, then `b` (0.05); `a` overrides provider a's settings. */
async function setup(a: ConfigLayer = {}) {
  const clock = new FakeClock(T0);
  const started = await startTestServer({
    config: {
      policy: { delivery_window: `${DELIVERY_WINDOW_MS}ms` },
      timers: { lease: "5s" },
      providers: [silentProvider("a", { cost: 0.07, ...a }), silentProvider("b", { cost: 0.05 })],
      routing: { default: ["a", "b"] },
    },
    clock,
    timers: "manual",
  });
  server = started;
  const client = started.connectH2;
  const stats = (provider: string) => started.app.scorer.stats(provider, "DE", "sms");
  const receiptFor = (record: Verification, attemptNumber: number, state: "delivered" | "undelivered" = "delivered") =>
    receipt(started, { provider: record.attempts[attemptNumber - 1]!.provider, verificationId: record.id, attemptNumber, at: clock.now() }, state);
  const codeFrom = (provider: string) => lastCodeFrom(started, provider, PHONE);
  /** Start on A, then let A's delivery window run out so the timer fails over to B. */
  const startAndFailOver = async () => {
    const first = (await client.start({ phoneNumber: PHONE })).verification!;
    clock.advance(DELIVERY_WINDOW_MS);
    await started.runTimers();
    const record = (await client.get({ verificationId: first.id })).verification!;
    expect(record.attempts.map((x) => [x.provider, x.status])).toEqual([
      ["a", AttemptStatus.TIMED_OUT],
      ["b", AttemptStatus.SUBMITTED],
    ]);
    return record;
  };
  return { clock, client, stats, receipt: receiptFor, codeFrom, startAndFailOver };
}

describe("scoreFeed: turning verification events into provider statistics", () => {
  test("a late DELIVERED for attempt 1 after failover still counts for attempt 1's provider, timed from its own send", async () => {
    const { clock, stats, receipt, startAndFailOver } = await setup();
    const record = await startAndFailOver();
    clock.advance(5_000);
    await receipt(record, 1);
    expect(stats("a")).toMatchObject({ accepted: 1, delivered: 1 });
    expect(stats("b")).toMatchObject({ accepted: 1, delivered: 0 });
    // 35 s after A's send: the [32 s, 64 s) bin, read as √(32 000 · 64 000) ≈ 45 255 ms.
    expect(stats("a").medianTimeToDeliveryMs).toBe(45_255);
  });

  test("a verification is credited to the provider of the last delivered attempt, even when a later attempt was sent", async () => {
    const { client, stats, receipt, codeFrom, startAndFailOver } = await setup();
    const record = await startAndFailOver();
    await receipt(record, 1);
    expect((await client.check({ verificationId: record.id, code: await codeFrom("a") })).approved).toBe(true);
    expect(stats("a").verified).toBe(1);
    expect(stats("b").verified).toBe(0);
  });

  test("when both attempts were delivered the later attempt's provider is credited", async () => {
    const { client, stats, receipt, codeFrom, startAndFailOver } = await setup();
    const record = await startAndFailOver();
    await receipt(record, 1);
    await receipt(record, 2);
    expect((await client.check({ verificationId: record.id, code: await codeFrom("b") })).approved).toBe(true);
    expect(stats("a")).toMatchObject({ delivered: 1, verified: 0 });
    expect(stats("b")).toMatchObject({ delivered: 1, verified: 1 });
  });

  test("without any receipt a verification is credited to the last accepted attempt's provider", async () => {
    const { client, stats, codeFrom, startAndFailOver } = await setup();
    const record = await startAndFailOver();
    expect((await client.check({ verificationId: record.id, code: await codeFrom("b") })).approved).toBe(true);
    expect(stats("a").verified).toBe(0);
    expect(stats("b").verified).toBe(1);
  });

  test("a refusal counts as a rejection for the provider that refused, and an acceptance adds the accepting provider's price", async () => {
    const { client, stats } = await setup({ simulate: { default: { outcome: "reject", error: "no_route" } } });
    const record = (await client.start({ phoneNumber: PHONE })).verification!;
    expect(record.attempts.map((x) => [x.provider, x.status])).toEqual([
      ["a", AttemptStatus.REJECTED],
      ["b", AttemptStatus.SUBMITTED],
    ]);
    expect(stats("a")).toMatchObject({ accepted: 0, rejected: 1, spend: 0, acceptanceRate: 0 });
    expect(stats("b")).toMatchObject({ accepted: 1, rejected: 0, spend: 0.05, acceptanceRate: 1 });
  });

  test("an UNDELIVERED receipt is counted for its attempt's provider", async () => {
    const { client, stats, receipt } = await setup();
    const started = (await client.start({ phoneNumber: PHONE })).verification!;
    await receipt(started, 1, "undelivered");
    expect(stats("a")).toMatchObject({ accepted: 1, delivered: 0, undelivered: 1 });
  });

  test("a duplicate receipt is not counted twice", async () => {
    const { client, stats, receipt } = await setup();
    const started = (await client.start({ phoneNumber: PHONE })).verification!;
    await receipt(started, 1);
    await receipt(started, 1);
    expect(stats("a").delivered).toBe(1);
  });
});
