import { describe, expect, test } from "vitest";
import { VerifyError } from "../../../src/verification/errors.js";
import { type NewVerification, newVerification, resendTooSoon, resendVerdict } from "../../../src/verification/transitions/start.js";
import { attempt, FINISHED, POLICY, record, T0, TTL } from "../support/builders.js";

const LEASE = { owner: "me", until: T0 + 5_000 };
const INTERVAL = POLICY.resendMinIntervalMs;

function input(overrides: Partial<NewVerification> = {}): NewVerification {
  return {
    id: "ver_new",
    phoneNumber: "+12025550100",
    country: "US",
    channel: "sms",
    codeLength: 8,
    codeHash: "h",
    sealedCode: "s",
    locale: "de",
    metadata: { k: "v" },
    idempotencyKey: "key-1",
    requestFingerprint: "fp",
    clientIp: "192.0.2.1",
    traceContext: "00-trace",
    firstProvider: "sms-a",
    ...overrides,
  };
}

describe("newVerification", () => {
  test("is pending, valid for the policy's TTL, with the policy's check attempts, its first attempt sending under the lease", () => {
    expect(newVerification(input(), POLICY, T0, LEASE)).toEqual({
      id: "ver_new",
      phoneNumber: "+12025550100",
      country: "US",
      channel: "sms",
      status: "pending",
      attempts: [{ number: 1, provider: "sms-a", channel: "sms", status: "sending", idempotencyKey: "ver_new-attempt-1", startedAt: T0, reason: { kind: "start" } }],
      createdAt: T0,
      updatedAt: T0,
      expiresAt: T0 + TTL,
      checkAttemptsRemaining: POLICY.maxCheckAttempts,
      fallbackChannels: [],
      codeLength: 8,
      codeHash: "h",
      sealedCode: "s",
      locale: "de",
      metadata: { k: "v" },
      idempotencyKey: "key-1",
      requestFingerprint: "fp",
      clientIp: "192.0.2.1",
      traceContext: "00-trace",
      dueAt: LEASE.until,
      lease: LEASE,
      sequence: 0,
      version: 0,
    });
  });

  test("a route without a provider gives a record without attempts", () => {
    expect(newVerification(input({ firstProvider: undefined }), POLICY, T0, LEASE).attempts).toEqual([]);
  });

  test("providers passed over for the first attempt are kept on it", () => {
    const skipped = [{ provider: "sms-z", why: "breaker_open" as const }];

    expect(newVerification(input({ firstSkipped: skipped }), POLICY, T0, LEASE).attempts[0]!.skipped).toEqual(skipped);
  });

  test("an empty passed-over list is not kept", () => {
    expect(newVerification(input({ firstSkipped: [] }), POLICY, T0, LEASE).attempts[0]).not.toHaveProperty("skipped");
  });
});

describe("resendVerdict", () => {
  test.each(FINISHED)("a %s verification is expired", (status) => {
    expect(resendVerdict(record({ status }), T0, POLICY)).toEqual({ kind: "expired" });
  });

  test("an active verification at exactly its expiry is expired", () => {
    expect(resendVerdict(record(), T0 + TTL, POLICY)).toEqual({ kind: "expired" });
  });

  test("an active verification never sent may send", () => {
    expect(resendVerdict(record({ lastSendAt: undefined }), T0 + 1, POLICY)).toEqual({ kind: "send" });
  });

  test("holds until the minimum interval has passed since the last send, and sends at exactly the interval", () => {
    const sent = record({ lastSendAt: T0 });

    expect(resendVerdict(sent, T0 + INTERVAL - 1, POLICY)).toEqual({ kind: "hold" });
    expect(resendVerdict(sent, T0 + INTERVAL, POLICY)).toEqual({ kind: "send" });
  });

  test("holds while another call is sending under a live lease, and sends once it lapses", () => {
    const sending = record({ attempts: [attempt({ number: 1, status: "sending" })], lease: { owner: "other", until: T0 + 100 } });

    expect(resendVerdict(sending, T0 + 99, POLICY)).toEqual({ kind: "hold" });
    expect(resendVerdict(sending, T0 + 100, POLICY)).toEqual({ kind: "send" });
  });
});

describe("resendTooSoon", () => {
  test("is nothing for a verification never sent", () => {
    expect(resendTooSoon(record({ lastSendAt: undefined }), T0, POLICY)).toBeUndefined();
  });

  test("is nothing once exactly the minimum interval has passed", () => {
    expect(resendTooSoon(record({ lastSendAt: T0 }), T0 + INTERVAL, POLICY)).toBeUndefined();
  });

  test("is rate_limited with the exact milliseconds left, one millisecond before the interval ends", () => {
    const error = resendTooSoon(record({ lastSendAt: T0 }), T0 + INTERVAL - 1, POLICY);

    expect(error).toBeInstanceOf(VerifyError);
    expect(error).toMatchObject({ kind: "rate_limited", details: { retryAfterMs: 1 }, message: "a resend is allowed 1s from now" });
  });

  test("right after a send the whole interval is left", () => {
    expect(resendTooSoon(record({ lastSendAt: T0 }), T0, POLICY)).toMatchObject({
      details: { retryAfterMs: INTERVAL },
      message: "a resend is allowed 30s from now",
    });
  });

  test.each([
    [1, 29_999, "30s"],
    [1_000, 29_000, "29s"],
    [1_001, 28_999, "29s"],
    [29_000, 1_000, "1s"],
  ])("after %ims the time left is %ims, shown rounded up as %s", (elapsed, left, shown) => {
    expect(resendTooSoon(record({ lastSendAt: T0 }), T0 + elapsed, POLICY)).toMatchObject({
      details: { retryAfterMs: left },
      message: `a resend is allowed ${shown} from now`,
    });
  });
});
