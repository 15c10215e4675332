import { describe, expect, test } from "vitest";
import type { Channel, SkippedProvider } from "../../../src/verification/model.js";
import { type AttemptStep, beginAttempt, channelExhausted, recordSendOutcome, timeOutAttempt } from "../../../src/verification/transitions/sending.js";
import { attempt, FINISHED, frozen, ID, record, submitted, T0, TTL, WINDOW } from "../support/builders.js";

const NOW = T0 + WINDOW;
const LEASE = { owner: "me", until: NOW + 5_000 };
const SKIPPED: SkippedProvider[] = [{ provider: "sms-z", why: "breaker_open" }];

function step(overrides: Partial<AttemptStep> = {}): AttemptStep {
  return { provider: "sms-b", channel: "sms", reason: { kind: "resend" }, skipped: [], ...overrides };
}

describe("beginAttempt", () => {
  test("records the next attempt as sending under the lease, due when the lease lapses, and answers its number", () => {
    const current = frozen(submitted(T0, { lastSendAt: T0 }));

    const outcome = beginAttempt(current, step(), NOW, LEASE);

    expect(outcome).toEqual({
      record: {
        ...current,
        attempts: [
          current.attempts[0],
          { number: 2, provider: "sms-b", channel: "sms", status: "sending", idempotencyKey: `${ID}-attempt-2`, startedAt: NOW, reason: { kind: "resend" } },
        ],
        lease: LEASE,
        dueAt: LEASE.until,
      },
      events: [],
      effects: [],
      result: 2,
    });
  });

  test("a failover is announced with its cause and the new attempt's provider and number", () => {
    const cause = { kind: "rejected", error: { kind: "no_route", message: "nope" } } as const;

    const outcome = beginAttempt(submitted(), step({ reason: { kind: "failover", cause } }), NOW, LEASE);

    expect(outcome).toMatchObject({ events: [{ type: "failover", provider: "sms-b", attemptNumber: 2, cause }], result: 2 });
    expect(outcome).toMatchObject({ record: { attempts: [{}, { reason: { kind: "failover", cause } }] } });
    if ("unchanged" in outcome) throw new Error("expected a change");
    expect(outcome.events[0]).not.toHaveProperty("skipped");
    expect(outcome.record.attempts[1]).not.toHaveProperty("skipped");
  });

  test("passed-over providers are kept on the attempt and announced with a failover event even without a failover cause", () => {
    const outcome = beginAttempt(submitted(), step({ skipped: SKIPPED, reason: { kind: "resend" } }), NOW, LEASE);

    expect(outcome).toMatchObject({
      events: [{ type: "failover", provider: "sms-b", attemptNumber: 2, skipped: SKIPPED }],
      record: { attempts: [{}, { skipped: SKIPPED }] },
    });
    if ("unchanged" in outcome) throw new Error("expected a change");
    expect(outcome.events[0]).not.toHaveProperty("cause");
  });

  test("a failover that also passed providers over carries both cause and skipped", () => {
    const cause = { kind: "no_receipt" } as const;

    expect(beginAttempt(submitted(), step({ skipped: SKIPPED, reason: { kind: "failover", cause } }), NOW, LEASE)).toMatchObject({
      events: [{ type: "failover", cause, skipped: SKIPPED }],
    });
  });

  test("marks the attempt whose window ran out timed out in the same write", () => {
    const outcome = beginAttempt(submitted(), step({ timedOut: 1 }), NOW, LEASE);

    expect(outcome).toMatchObject({ record: { attempts: [{ status: "timed_out" }, { status: "sending" }] } });
  });

  test.each(["delivered", "undelivered", "rejected"] as const)("never marks a %s attempt timed out", (status) => {
    const current = record({ attempts: [attempt({ number: 1, status })] });

    expect(beginAttempt(current, step({ timedOut: 1 }), NOW, LEASE)).toMatchObject({ record: { attempts: [{ status }, { status: "sending" }] } });
  });

  test("a timed-out number the record does not have is ignored", () => {
    expect(beginAttempt(submitted(), step({ timedOut: 7 }), NOW, LEASE)).toMatchObject({ record: { attempts: [{ status: "submitted" }, { status: "sending" }] } });
  });

  test("switching channel moves the verification to it and takes it off the offered fallbacks", () => {
    const current = submitted(T0, { fallbackChannels: ["voice", "whatsapp"] });

    const outcome = beginAttempt(current, step({ provider: "voice-a", channel: "voice" }), NOW, LEASE);

    expect(outcome).toMatchObject({ record: { channel: "voice", fallbackChannels: ["whatsapp"], attempts: [{}, { channel: "voice", provider: "voice-a" }] } });
  });

  test("staying on the channel keeps the offered fallbacks", () => {
    const current = submitted(T0, { fallbackChannels: ["voice"] });

    expect(beginAttempt(current, step(), NOW, LEASE)).toMatchObject({ record: { channel: "sms", fallbackChannels: ["voice"] } });
  });

  test("the first attempt of a record without attempts is number 1", () => {
    expect(beginAttempt(record({ status: "pending" }), step({ provider: "sms-a" }), NOW, LEASE)).toMatchObject({
      result: 1,
      record: { attempts: [{ number: 1, idempotencyKey: `${ID}-attempt-1` }] },
    });
  });

  test.each(FINISHED)("a %s verification is left unchanged, with no attempt", (status) => {
    expect(beginAttempt(record({ status }), step(), NOW, LEASE)).toEqual({ unchanged: true, result: undefined });
  });
});

describe("timeOutAttempt", () => {
  test("marks a submitted attempt timed out, without events, leaving the rest of the record as it was", () => {
    const current = frozen(
      record({
        attempts: [attempt({ number: 1, status: "submitted", submittedAt: T0 }), attempt({ number: 2, status: "submitted", submittedAt: T0 })],
        dueAt: T0 + WINDOW,
      }),
    );

    expect(timeOutAttempt(current, 1)).toEqual({
      record: { ...current, attempts: [{ ...current.attempts[0]!, status: "timed_out" }, current.attempts[1]] },
      events: [],
      effects: [],
      result: undefined,
    });
  });

  test.each(["sending", "rejected", "delivered", "undelivered", "timed_out"] as const)("leaves a %s attempt unchanged", (status) => {
    expect(timeOutAttempt(record({ attempts: [attempt({ number: 1, status })] }), 1)).toEqual({ unchanged: true, result: undefined });
  });

  test("an attempt number the record does not have changes nothing", () => {
    expect(timeOutAttempt(submitted(), 2)).toEqual({ unchanged: true, result: undefined });
    expect(timeOutAttempt(submitted(), 0)).toEqual({ unchanged: true, result: undefined });
  });

  test.each(FINISHED)("a %s verification is left unchanged", (status) => {
    expect(timeOutAttempt(submitted(T0, { status }), 1)).toEqual({ unchanged: true, result: undefined });
  });
});

describe("recordSendOutcome: accepted", () => {
  const sending = (overrides: Parameters<typeof record>[0] = {}) =>
    record({ status: "pending", attempts: [attempt({ number: 1, status: "sending" })], lease: LEASE, dueAt: LEASE.until, ...overrides });

  test("submits the attempt, notes the send, releases the lease, starts the delivery window and announces it", () => {
    const current = frozen(sending());

    const outcome = recordSendOutcome(current, 1, { ok: true, providerMessageId: "m-1" }, NOW, WINDOW);

    expect(outcome).toEqual({
      record: {
        ...current,
        status: "submitted",
        attempts: [{ ...current.attempts[0]!, status: "submitted", providerMessageId: "m-1", submittedAt: NOW }],
        lastSendAt: NOW,
        lease: undefined,
        dueAt: NOW + WINDOW,
      },
      events: [{ type: "submitted", provider: "sms-a", attemptNumber: 1 }],
      effects: [],
      result: undefined,
    });
  });

  test("the window never runs past expiry", () => {
    const outcome = recordSendOutcome(sending(), 1, { ok: true, providerMessageId: "m-1" }, T0 + TTL - 10, WINDOW);

    expect(outcome).toMatchObject({ record: { dueAt: T0 + TTL }, effects: [] });
  });

  test("a window that is already over (zero length) is due now and wakes the timers", () => {
    expect(recordSendOutcome(sending(), 1, { ok: true, providerMessageId: "m-1" }, NOW, 0)).toMatchObject({
      record: { dueAt: NOW },
      effects: [{ kind: "wake_timers" }],
    });
  });

  test("a window ending one millisecond from now does not wake the timers", () => {
    expect(recordSendOutcome(sending(), 1, { ok: true, providerMessageId: "m-1" }, NOW, 1)).toMatchObject({ record: { dueAt: NOW + 1 }, effects: [] });
  });

  test("a verification already submitted stays submitted", () => {
    expect(recordSendOutcome(sending({ status: "submitted" }), 1, { ok: true, providerMessageId: "m-1" }, NOW, WINDOW)).toMatchObject({
      record: { status: "submitted" },
    });
  });

  test("a held delivered receipt for the message the provider names is applied with the answer: delivered, due at expiry", () => {
    const held = { state: "delivered" as const, providerMessageId: "m-1", providerStatus: "DELIVRD", at: NOW - 1 };
    const overtaken = frozen(sending({ attempts: [attempt({ number: 1, status: "sending", heldReports: [held] })] }));

    const outcome = recordSendOutcome(overtaken, 1, { ok: true, providerMessageId: "m-1" }, NOW, WINDOW);

    expect(outcome).toMatchObject({
      record: { status: "delivered", dueAt: T0 + TTL, attempts: [{ status: "delivered", providerMessageId: "m-1", submittedAt: NOW, deliveredAt: NOW - 1 }] },
      events: [{ type: "submitted" }, { type: "delivered", attemptNumber: 1 }],
      effects: [],
    });
    expect("record" in outcome && outcome.record.attempts[0]!.heldReports).toBeUndefined();
  });

  test("a held undelivered receipt for the named message makes failover due at once", () => {
    const held = { state: "undelivered" as const, providerMessageId: "m-1", error: "30003", at: NOW - 1 };
    const overtaken = sending({ attempts: [attempt({ number: 1, status: "sending", heldReports: [held] })] });

    expect(recordSendOutcome(overtaken, 1, { ok: true, providerMessageId: "m-1" }, NOW, WINDOW)).toMatchObject({
      record: { status: "submitted", dueAt: NOW, attempts: [{ status: "undelivered", error: { kind: "undelivered", message: "30003" } }] },
      events: [{ type: "submitted" }, { type: "undelivered" }],
      effects: [{ kind: "wake_timers" }],
    });
  });

  test("held receipts for another message are dropped unapplied, and a refusal drops them all", () => {
    const held = { state: "delivered" as const, providerMessageId: "m-someone-else", at: NOW - 1 };
    const overtaken = sending({ attempts: [attempt({ number: 1, status: "sending", heldReports: [held] })] });

    const accepted = recordSendOutcome(overtaken, 1, { ok: true, providerMessageId: "m-1" }, NOW, WINDOW);
    expect(accepted).toMatchObject({
      record: { status: "submitted", attempts: [{ status: "submitted", providerMessageId: "m-1" }] },
      events: [{ type: "submitted" }],
    });
    expect("record" in accepted && accepted.record.attempts[0]!.heldReports).toBeUndefined();

    const refused = recordSendOutcome(overtaken, 1, { ok: false, error: { kind: "no_route", message: "x" } }, NOW, WINDOW);
    expect("record" in refused && refused.record.attempts[0]).toMatchObject({ status: "rejected" });
    expect("record" in refused && refused.record.attempts[0]!.heldReports).toBeUndefined();
  });

  test("a resend accepted after another attempt was delivered leaves the verification delivered", () => {
    const current = record({
      status: "delivered",
      attempts: [attempt({ number: 1, status: "delivered", submittedAt: T0 }), attempt({ number: 2, status: "sending" })],
      lease: LEASE,
    });

    expect(recordSendOutcome(current, 2, { ok: true, providerMessageId: "m-2" }, NOW, WINDOW)).toMatchObject({
      record: { status: "delivered", dueAt: T0 + TTL, attempts: [{ status: "delivered" }, { status: "submitted" }] },
    });
  });

  test("without passed-over providers the submitted event has no skipped list", () => {
    const outcome = recordSendOutcome(sending(), 1, { ok: true, providerMessageId: "m-1" }, NOW, WINDOW);
    if ("unchanged" in outcome) throw new Error("expected a change");

    expect(outcome.events[0]).not.toHaveProperty("skipped");
  });

  test("an attempt recorded rejected but then accepted (a takeover's resend) is submitted", () => {
    const rejected = sending({ attempts: [attempt({ number: 1, status: "rejected" })] });

    expect(recordSendOutcome(rejected, 1, { ok: true, providerMessageId: "m-1" }, NOW, WINDOW)).toMatchObject({ record: { attempts: [{ status: "submitted" }] } });
  });

  test("an attempt sent again keeps its first submission time; the provider's answer names the message", () => {
    const again = sending({ attempts: [attempt({ number: 1, status: "sending", providerMessageId: "m-first", submittedAt: T0 })] });

    expect(recordSendOutcome(again, 1, { ok: true, providerMessageId: "m-second" }, NOW, WINDOW)).toMatchObject({
      record: { attempts: [{ providerMessageId: "m-second", submittedAt: T0 }], dueAt: T0 + WINDOW, lastSendAt: NOW },
      effects: [{ kind: "wake_timers" }],
    });
  });

  test("on a finished verification records the attempt but neither the status nor the timer moves", () => {
    const done = sending({ status: "canceled", dueAt: undefined });

    const outcome = recordSendOutcome(done, 1, { ok: true, providerMessageId: "m-1" }, NOW, 0);

    expect(outcome).toMatchObject({ record: { status: "canceled", dueAt: undefined, lease: undefined, attempts: [{ status: "submitted" }] }, effects: [] });
    expect(outcome).toMatchObject({ events: [{ type: "submitted" }] });
  });

  test("the submitted event names the providers passed over on the way to the attempt", () => {
    const current = sending({ attempts: [attempt({ number: 1, status: "sending", skipped: SKIPPED })] });

    expect(recordSendOutcome(current, 1, { ok: true, providerMessageId: "m-1" }, NOW, WINDOW)).toMatchObject({
      events: [{ type: "submitted", provider: "sms-a", attemptNumber: 1, skipped: SKIPPED }],
    });
  });

  test("an attempt number the record does not have changes nothing", () => {
    expect(recordSendOutcome(sending(), 2, { ok: true, providerMessageId: "m" }, NOW, WINDOW)).toEqual({ unchanged: true, result: undefined });
  });
});

describe("recordSendOutcome: rejected", () => {
  const error = { kind: "no_route", message: "no route to US" } as const;

  test("marks the attempt rejected with its error and announces it, leaving lease and timer for the failover", () => {
    const current = frozen(record({ status: "pending", attempts: [attempt({ number: 1, status: "sending" })], lease: LEASE, dueAt: LEASE.until }));

    expect(recordSendOutcome(current, 1, { ok: false, error }, NOW, WINDOW)).toEqual({
      record: { ...current, attempts: [{ ...current.attempts[0]!, status: "rejected", error }] },
      events: [{ type: "rejected", provider: "sms-a", attemptNumber: 1, error }],
      effects: [],
      result: undefined,
    });
  });

  test("the rejected event names the providers passed over on the way to the attempt", () => {
    const current = record({ attempts: [attempt({ number: 1, status: "sending", skipped: SKIPPED })] });

    expect(recordSendOutcome(current, 1, { ok: false, error }, NOW, WINDOW)).toMatchObject({ events: [{ type: "rejected", error, skipped: SKIPPED }] });
  });

  test("without passed-over providers the rejected event has no skipped list", () => {
    const outcome = recordSendOutcome(record({ attempts: [attempt({ number: 1, status: "sending" })] }), 1, { ok: false, error }, NOW, WINDOW);
    if ("unchanged" in outcome) throw new Error("expected a change");

    expect(outcome.events[0]).not.toHaveProperty("skipped");
  });
});

describe("channelExhausted", () => {
  const input = (overrides: Partial<{ channel: Channel; otherChannels: Channel[]; autoEscalate: boolean; skipped: SkippedProvider[] }> = {}) => ({
    channel: "sms" as Channel,
    otherChannels: [] as Channel[],
    autoEscalate: false,
    skipped: [] as SkippedProvider[],
    ...overrides,
  });
  const rejectedOnly = (overrides: Parameters<typeof record>[0] = {}) =>
    record({ status: "pending", attempts: [attempt({ number: 1, status: "rejected" })], lease: LEASE, dueAt: LEASE.until, ...overrides });

  test.each(FINISHED)("a %s verification is settled as it is", (status) => {
    expect(channelExhausted(record({ status }), input({ otherChannels: ["voice"], autoEscalate: true }))).toEqual({ unchanged: true, result: { kind: "settled" } });
  });

  test("with auto-escalation escalates to the first other channel not yet tried, releasing the lease without events", () => {
    const current = frozen(rejectedOnly());

    expect(channelExhausted(current, input({ otherChannels: ["voice", "whatsapp"], autoEscalate: true }))).toEqual({
      record: { ...current, lease: undefined },
      events: [],
      effects: [],
      result: { kind: "escalate", to: "voice" },
    });
  });

  test("with auto-escalation and no lease to release, escalates without writing", () => {
    expect(channelExhausted(rejectedOnly({ lease: undefined }), input({ otherChannels: ["voice"], autoEscalate: true }))).toEqual({
      unchanged: true,
      result: { kind: "escalate", to: "voice" },
    });
  });

  test("auto-escalation skips channels that already have attempts", () => {
    const current = rejectedOnly({
      attempts: [attempt({ number: 1, status: "rejected" }), attempt({ number: 2, channel: "voice", provider: "voice-a", status: "rejected" })],
    });

    expect(channelExhausted(current, input({ otherChannels: ["voice", "whatsapp"], autoEscalate: true }))).toMatchObject({
      result: { kind: "escalate", to: "whatsapp" },
    });
  });

  test("auto-escalation with every other channel tried and nothing accepted fails the verification", () => {
    const current = rejectedOnly({
      attempts: [attempt({ number: 1, status: "rejected" }), attempt({ number: 2, channel: "voice", provider: "voice-a", status: "rejected" })],
    });

    expect(channelExhausted(current, input({ otherChannels: ["voice"], autoEscalate: true }))).toMatchObject({
      record: { status: "failed" },
      events: [{ type: "failed" }],
      result: { kind: "settled" },
    });
  });

  test("without auto-escalation offers the other channels, announces the offer and keeps the code valid until expiry", () => {
    const current = frozen(rejectedOnly());

    expect(channelExhausted(current, input({ otherChannels: ["voice", "whatsapp"], skipped: SKIPPED }))).toEqual({
      record: { ...current, lease: undefined, fallbackChannels: ["voice", "whatsapp"], dueAt: T0 + TTL },
      events: [{ type: "fallback_available", offered: ["voice", "whatsapp"], skipped: SKIPPED }],
      effects: [],
      result: { kind: "settled" },
    });
  });

  test("without auto-escalation a channel already tried is still offered", () => {
    const current = rejectedOnly({ attempts: [attempt({ number: 1, channel: "voice", provider: "voice-a", status: "rejected" })] });

    expect(channelExhausted(current, input({ otherChannels: ["voice"] }))).toMatchObject({
      record: { fallbackChannels: ["voice"] },
      events: [{ type: "fallback_available" }],
    });
  });

  test("the offer event has no skipped list when nobody was passed over", () => {
    const outcome = channelExhausted(rejectedOnly(), input({ otherChannels: ["voice"] }));
    if ("unchanged" in outcome) throw new Error("expected a change");

    expect(outcome.events).toEqual([{ type: "fallback_available", offered: ["voice"] }]);
  });

  test("the same offer again is written without a second fallback_available event", () => {
    const offered = submitted(T0, { fallbackChannels: ["voice"] });

    expect(channelExhausted(offered, input({ otherChannels: ["voice"] }))).toMatchObject({ record: { fallbackChannels: ["voice"], dueAt: T0 + TTL }, events: [] });
  });

  test("an offer that gains a channel is announced again", () => {
    const offered = submitted(T0, { fallbackChannels: ["voice"] });

    expect(channelExhausted(offered, input({ otherChannels: ["voice", "whatsapp"] }))).toMatchObject({
      events: [{ type: "fallback_available", offered: ["voice", "whatsapp"] }],
    });
  });

  test("with no other channel and nothing ever accepted, the verification fails, naming the providers passed over", () => {
    const current = frozen(rejectedOnly());

    expect(channelExhausted(current, input({ skipped: SKIPPED }))).toEqual({
      record: { ...current, status: "failed", sealedCode: undefined, dueAt: undefined, lease: undefined },
      events: [{ type: "failed", skipped: SKIPPED }],
      effects: [],
      result: { kind: "settled" },
    });
  });

  test("with no other channel and no attempts at all, the verification fails", () => {
    expect(channelExhausted(record({ status: "pending" }), input())).toMatchObject({ record: { status: "failed" }, events: [{ type: "failed" }] });
  });

  test.each(["submitted", "timed_out", "delivered"] as const)("with no other channel but a %s attempt, the code stays valid until expiry", (status) => {
    const current = rejectedOnly({ status: "submitted", attempts: [attempt({ number: 1, status }), attempt({ number: 2, status: "rejected" })] });

    expect(channelExhausted(current, input())).toEqual({
      record: { ...current, lease: undefined, dueAt: T0 + TTL },
      events: [],
      effects: [],
      result: { kind: "settled" },
    });
  });
});
