import { describe, expect, test } from "vitest";
import type { AttemptStatus } from "../../../src/verification/model.js";
import { dueWork } from "../../../src/verification/transitions/timer.js";
import { attempt, FINISHED, record, submitted, T0, TTL, WINDOW } from "../support/builders.js";

describe("dueWork", () => {
  test.each(FINISHED)("a %s verification is settled", (status) => {
    expect(dueWork(record({ status }), T0, WINDOW)).toEqual({ kind: "settle" });
  });

  test("an active verification at exactly its expiry is settled, whatever its attempts", () => {
    expect(dueWork(submitted(T0), T0 + TTL, WINDOW)).toEqual({ kind: "settle" });
    expect(dueWork(record({ attempts: [attempt({ number: 1, status: "sending" })] }), T0 + TTL, WINDOW)).toEqual({ kind: "settle" });
  });

  test("one millisecond before expiry a verification without attempts sleeps", () => {
    expect(dueWork(record(), T0 + TTL - 1, WINDOW)).toEqual({ kind: "sleep" });
  });

  test("a sending attempt (its sender's lease lapsed) is taken over on its own channel", () => {
    const sending = record({ channel: "sms", attempts: [attempt({ number: 1 }), attempt({ number: 2, channel: "voice", status: "sending" })] });

    expect(dueWork(sending, T0, WINDOW)).toEqual({ kind: "takeover", attemptNumber: 2, channel: "voice" });
  });

  test("a sending attempt is taken over even when the verification is already delivered", () => {
    const sending = record({ status: "delivered", attempts: [attempt({ number: 1, status: "delivered" }), attempt({ number: 2, status: "sending" })] });

    expect(dueWork(sending, T0, WINDOW)).toEqual({ kind: "takeover", attemptNumber: 2, channel: "sms" });
  });

  test.each<AttemptStatus>(["submitted", "rejected", "undelivered", "timed_out", "delivered"])(
    "a delivered verification whose latest attempt is %s sleeps, even long after the window",
    (status) => {
      const delivered = record({ status: "delivered", attempts: [attempt({ number: 1, status, submittedAt: T0 })] });

      expect(dueWork(delivered, T0 + 10 * WINDOW, WINDOW)).toEqual({ kind: "sleep" });
    },
  );

  test("a rejected latest attempt carries on failing over with its error on its channel", () => {
    const error = { kind: "auth", message: "bad key" } as const;
    const rejected = record({ attempts: [attempt({ number: 1, channel: "voice", status: "rejected", error })] });

    expect(dueWork(rejected, T0, WINDOW)).toEqual({ kind: "continue_failover", channel: "voice", error });
  });

  test("a rejected attempt stored without an error carries on as unavailable", () => {
    const rejected = record({ attempts: [attempt({ number: 1, status: "rejected" })] });

    expect(dueWork(rejected, T0, WINDOW)).toEqual({ kind: "continue_failover", channel: "sms", error: { kind: "unavailable", message: "rejected" } });
  });

  test("an undelivered latest attempt fails over at once", () => {
    const undelivered = record({ attempts: [attempt({ number: 1, status: "timed_out" }), attempt({ number: 2, status: "undelivered", submittedAt: T0 })] });

    expect(dueWork(undelivered, T0 + 1, WINDOW)).toEqual({ kind: "undelivered", attemptNumber: 2 });
  });

  test("a submitted attempt one millisecond before its window ends sleeps", () => {
    expect(dueWork(submitted(T0), T0 + WINDOW - 1, WINDOW)).toEqual({ kind: "sleep" });
  });

  test("a submitted attempt at exactly the end of its window is over, naming attempt, provider and message id", () => {
    expect(dueWork(submitted(T0), T0 + WINDOW, WINDOW)).toEqual({ kind: "window_over", attemptNumber: 1, provider: "sms-a", providerMessageId: "m-1" });
  });

  test("the window is measured from the latest attempt's submission", () => {
    const two = record({ attempts: [attempt({ number: 1, status: "timed_out", submittedAt: T0 }), attempt({ number: 2, submittedAt: T0 + 1_000 })] });

    expect(dueWork(two, T0 + 1_000 + WINDOW - 1, WINDOW)).toEqual({ kind: "sleep" });
    expect(dueWork(two, T0 + 1_000 + WINDOW, WINDOW)).toMatchObject({ kind: "window_over", attemptNumber: 2, provider: "sms-b" });
  });

  test("a window over without a message id says so", () => {
    const noId = record({ attempts: [attempt({ number: 1, submittedAt: T0 })] });

    expect(dueWork(noId, T0 + WINDOW, WINDOW)).toEqual({ kind: "window_over", attemptNumber: 1, provider: "sms-a", providerMessageId: undefined });
  });

  test("a timed-out latest attempt (slow failover found no provider) sleeps", () => {
    expect(dueWork(record({ attempts: [attempt({ number: 1, status: "timed_out", submittedAt: T0 })] }), T0 + 5 * WINDOW, WINDOW)).toEqual({ kind: "sleep" });
  });
});
