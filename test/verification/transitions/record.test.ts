import { describe, expect, test } from "vitest";
import type { AttemptStatus } from "../../../src/verification/model.js";
import { anyAccepted, asSeenAt, copyRecord, expired, finished, newAttempt, nextDue, sendingInProgress } from "../../../src/verification/transitions/record.js";
import { attempt, FINISHED, frozen, record, submitted, T0, TTL, WINDOW } from "../support/builders.js";

describe("copyRecord", () => {
  test("copies attempts and fallback channels so the copy can change freely", () => {
    const original = frozen(record({ attempts: [attempt({ number: 1 })], fallbackChannels: ["voice"] }));

    const copy = copyRecord(original);
    copy.attempts[0]!.status = "timed_out";
    copy.attempts.push(attempt({ number: 2 }));
    copy.fallbackChannels.push("whatsapp");

    expect(copy).not.toBe(original);
    expect(original.attempts).toHaveLength(1);
    expect(original.attempts[0]!.status).toBe("submitted");
    expect(original.fallbackChannels).toEqual(["voice"]);
  });
});

describe("finished and expired", () => {
  test("finishing erases the sealed code and clears timer and lease", () => {
    const active = frozen(record({ dueAt: 1, lease: { owner: "x", until: 2 } }));

    expect(finished(active, "failed")).toEqual({ ...active, status: "failed", sealedCode: undefined, dueAt: undefined, lease: undefined });
  });

  test("expired finishes as expired with an expired event", () => {
    expect(expired(record())).toEqual({
      record: { ...record(), status: "expired", sealedCode: undefined, dueAt: undefined, lease: undefined },
      event: { type: "expired" },
    });
  });
});

describe("nextDue", () => {
  test("is the end of the latest attempt's delivery window", () => {
    expect(nextDue(submitted(T0 + 5), WINDOW)).toBe(T0 + 5 + WINDOW);
  });

  test("is expiry when the window would end later", () => {
    expect(nextDue(submitted(T0 + TTL - WINDOW + 1), WINDOW)).toBe(T0 + TTL);
  });

  test("is exactly the window's end when it ends exactly at expiry", () => {
    expect(nextDue(submitted(T0 + TTL - WINDOW), WINDOW)).toBe(T0 + TTL);
  });

  test("is expiry once the verification is delivered, even with a submitted latest attempt", () => {
    expect(nextDue(submitted(T0, { status: "delivered" }), WINDOW)).toBe(T0 + TTL);
  });

  test.each<AttemptStatus>(["sending", "rejected", "delivered", "undelivered", "timed_out"])("is expiry when the latest attempt is %s", (status) => {
    expect(nextDue(record({ attempts: [attempt({ number: 1, status, submittedAt: T0 })] }), WINDOW)).toBe(T0 + TTL);
  });

  test("is expiry when the submitted attempt has no submission time", () => {
    expect(nextDue(record({ attempts: [attempt({ number: 1, status: "submitted" })] }), WINDOW)).toBe(T0 + TTL);
  });

  test("looks only at the latest attempt", () => {
    const current = record({
      attempts: [attempt({ number: 1, status: "submitted", submittedAt: T0 }), attempt({ number: 2, status: "rejected" })],
    });

    expect(nextDue(current, WINDOW)).toBe(T0 + TTL);
  });

  test("is expiry when there are no attempts", () => {
    expect(nextDue(record(), WINDOW)).toBe(T0 + TTL);
  });
});

describe("sendingInProgress", () => {
  const sending = (until: number | undefined) =>
    record({ attempts: [attempt({ number: 1, status: "sending" })], lease: until === undefined ? undefined : { owner: "other", until } });

  test("is true while the latest attempt is sending under a lease that has not lapsed", () => {
    expect(sendingInProgress(sending(T0 + 1), T0)).toBe(true);
  });

  test("is false once the lease lapses, at exactly its end", () => {
    expect(sendingInProgress(sending(T0), T0)).toBe(false);
  });

  test("is false without a lease", () => {
    expect(sendingInProgress(sending(undefined), T0)).toBe(false);
  });

  test("is false when the latest attempt is not sending, even under a lease", () => {
    expect(sendingInProgress(submitted(T0, { lease: { owner: "o", until: T0 + 10 } }), T0)).toBe(false);
    expect(sendingInProgress(record({ lease: { owner: "o", until: T0 + 10 } }), T0)).toBe(false);
  });
});

describe("asSeenAt", () => {
  test("shows an active record past its expiry as expired, without altering it", () => {
    const active = frozen(record({ status: "delivered" }));

    expect(asSeenAt(active, T0 + TTL)).toEqual({ ...active, status: "expired" });
    expect(active.status).toBe("delivered");
  });

  test("shows an active record before its expiry as it is", () => {
    const active = record();

    expect(asSeenAt(active, T0 + TTL - 1)).toBe(active);
  });

  test.each(FINISHED)("shows a %s record as it is, even past expiry", (status) => {
    const done = record({ status });

    expect(asSeenAt(done, T0 + TTL + 1)).toBe(done);
  });
});

describe("newAttempt", () => {
  test("is sending, numbered, with an idempotency key made of the verification id and the number", () => {
    expect(newAttempt("ver_x", 3, "sms-c", "voice", T0)).toEqual({
      number: 3,
      provider: "sms-c",
      channel: "voice",
      status: "sending",
      idempotencyKey: "ver_x-attempt-3",
      startedAt: T0,
    });
  });
});

describe("anyAccepted", () => {
  test.each<[AttemptStatus, boolean]>([
    ["submitted", true],
    ["timed_out", true],
    ["delivered", true],
    ["sending", false],
    ["rejected", false],
    ["undelivered", false],
  ])("an attempt that is %s counts as accepted: %s", (status, accepted) => {
    expect(anyAccepted(record({ attempts: [attempt({ number: 1, status: "rejected" }), attempt({ number: 2, status })] }))).toBe(accepted);
  });

  test("no attempts means nothing was accepted", () => {
    expect(anyAccepted(record())).toBe(false);
  });
});
