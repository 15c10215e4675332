import { describe, expect, test } from "vitest";
import { sendCode } from "../../src/dispatch/send-code.js";
import type { VerificationRecord } from "../../src/verification/model.js";
import { attempt, ID, T0, TTL, WINDOW } from "../verification/support/builders.js";
import { CODE, LEASE_MS, type Rig, rig } from "./support/rig.js";

/** A verification as Start leaves it: attempt 1 on sms-a recorded as sending, under this instance's lease. */
function started(r: Rig, overrides: Partial<VerificationRecord> = {}): VerificationRecord {
  const lease = { owner: "me", until: T0 + LEASE_MS };
  return r.seed({
    status: "pending",
    attempts: [{ ...attempt({ number: 1, provider: "sms-a", status: "sending" }), reason: { kind: "start" } }],
    lease,
    dueAt: lease.until,
    ...overrides,
  });
}

const start = (known?: VerificationRecord) => ({ id: ID, code: CODE, channel: "sms" as const, reason: { kind: "start" } as const, startWith: 1, known });

describe("sendCode: the first provider accepts", () => {
  test("sends the recorded attempt and records it submitted, with the delivery window as its timer", async () => {
    const r = rig();
    const known = started(r);

    const result = await sendCode(r.deps, start(known));

    expect(r.gateway.providers()).toEqual(["sms-a"]);
    expect(result).toBe(r.store.now());
    expect(result).toMatchObject({
      status: "submitted",
      lastSendAt: T0,
      lease: undefined,
      dueAt: T0 + WINDOW,
      attempts: [{ number: 1, provider: "sms-a", status: "submitted", providerMessageId: "sms-a-msg-1", submittedAt: T0 }],
    });
    expect(r.store.story()).toEqual(["submitted"]);
    expect(r.performed).toEqual([]);
  });

  test("the message carries the code, the attempt's idempotency key and reference, and why it goes", async () => {
    const r = rig();
    r.clock.advance(1_000);

    await sendCode(r.deps, start(started(r)));

    expect(r.gateway.sent[0]!.message).toMatchObject({
      to: "+12025550100",
      channel: "sms",
      code: CODE,
      idempotencyKey: `${ID}-attempt-1`,
      reference: { verificationId: ID, attemptNumber: 1 },
      attemptContext: { country: "US", reason: { kind: "start" } },
    });
    expect(r.rendered).toEqual([{ channel: "sms", locale: "en", code: CODE, brand: "acme", ttlMs: TTL - 1_000 }]);
  });

  test("without a known record or a recorded attempt, reads the record and begins the first attempt", async () => {
    const r = rig();
    r.seed({ status: "pending", attempts: [] });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "start" } });

    expect(r.gateway.providers()).toEqual(["sms-a"]);
    expect(result).toMatchObject({ status: "submitted", attempts: [{ number: 1, provider: "sms-a", status: "submitted", reason: { kind: "start" } }] });
  });

  test("without a known record, reads it first", async () => {
    const r = rig();
    started(r);

    const result = await sendCode(r.deps, start());

    expect(result.status).toBe("submitted");
  });

  test("an attempt number the record does not have is an internal fault", async () => {
    const r = rig();
    const known = started(r);

    await expect(sendCode(r.deps, { ...start(known), startWith: 4 })).rejects.toThrow(`attempt 4 missing on ${ID}`);
  });
});

describe("sendCode: fast failover", () => {
  test("goes down the route in order until a provider accepts, recording each refusal and why it moved on", async () => {
    const r = rig();
    r.gateway.reply("sms-a", "no_route").reply("sms-b", "auth");

    const result = await sendCode(r.deps, start(started(r)));

    expect(r.gateway.providers()).toEqual(["sms-a", "sms-b", "sms-c"]);
    expect(result.attempts.map((a) => [a.provider, a.status, a.error?.kind])).toEqual([
      ["sms-a", "rejected", "no_route"],
      ["sms-b", "rejected", "auth"],
      ["sms-c", "submitted", undefined],
    ]);
    expect(result.attempts[1]!.reason).toEqual({ kind: "failover", cause: { kind: "rejected", error: { kind: "no_route", message: "scripted no_route" } } });
    expect(result.attempts[2]!.reason).toEqual({ kind: "failover", cause: { kind: "rejected", error: { kind: "auth", message: "scripted auth" } } });
    expect(r.store.story()).toEqual(["rejected", "failover(rejected)", "rejected", "failover(rejected)", "submitted"]);
    expect(result).toMatchObject({ status: "submitted", lease: undefined, dueAt: T0 + WINDOW });
  });

  test("every retry sends the same code under the new attempt's idempotency key, telling the provider why", async () => {
    const r = rig();
    r.gateway.reply("sms-a", "unavailable");

    await sendCode(r.deps, start(started(r)));

    const second = r.gateway.sent[1]!.message;
    expect(second.code).toBe(CODE);
    expect(second.idempotencyKey).toBe(`${ID}-attempt-2`);
    expect(second.attemptContext?.reason).toEqual({
      kind: "failover",
      cause: { kind: "rejected", error: { kind: "unavailable", message: "scripted unavailable" } },
    });
  });

  test("each new attempt is recorded as sending under the lease before its provider is called", async () => {
    const r = rig();
    r.gateway.reply("sms-a", "no_route");
    let seenWhileSending: VerificationRecord | undefined;
    r.gateway.reply("sms-b", async () => {
      seenWhileSending = r.store.now();
      return { ok: true, providerMessageId: "b-1" };
    });

    await sendCode(r.deps, start(started(r)));

    expect(seenWhileSending).toMatchObject({
      attempts: [{ status: "rejected" }, { status: "sending", provider: "sms-b" }],
      lease: { owner: "me", until: T0 + LEASE_MS },
      dueAt: T0 + LEASE_MS,
    });
  });

  test("passes over providers with an open breaker, naming them on the failover and on the attempt", async () => {
    const r = rig({ routes: { sms: [{ provider: "sms-a" }, { provider: "sms-b", skipWhy: "breaker_open" }, { provider: "sms-c" }] } });
    r.gateway.reply("sms-a", "no_route");

    const result = await sendCode(r.deps, start(started(r)));

    expect(r.gateway.providers()).toEqual(["sms-a", "sms-c"]);
    expect(result.attempts[1]).toMatchObject({ provider: "sms-c", skipped: [{ provider: "sms-b", why: "breaker_open" }] });
    const failover = r.store.events.find((e) => e.type === "failover");
    expect(failover).toMatchObject({ provider: "sms-c", attemptNumber: 2, skipped: [{ provider: "sms-b", why: "breaker_open" }] });
    expect(r.store.events.find((e) => e.type === "submitted")).toMatchObject({ skipped: [{ provider: "sms-b", why: "breaker_open" }] });
    expect(r.gateway.sent[1]!.message.attemptContext?.skipped).toEqual([{ provider: "sms-b", why: "breaker_open" }]);
  });
});

describe("sendCode: the channel runs out", () => {
  test("offers the other routable channels, calls nobody on them and keeps the code valid until expiry", async () => {
    const r = rig();
    r.gateway.reply("sms-a", "no_route").reply("sms-b", "no_route").reply("sms-c", "no_route");

    const result = await sendCode(r.deps, start(started(r)));

    expect(r.gateway.providers()).toEqual(["sms-a", "sms-b", "sms-c"]);
    expect(result).toMatchObject({ status: "pending", channel: "sms", fallbackChannels: ["voice"], lease: undefined, dueAt: T0 + TTL });
    expect(r.store.story().slice(-2)).toEqual(["rejected", "fallback_available"]);
    expect(r.store.events.at(-1)).toMatchObject({ type: "fallback_available", offered: ["voice"] });
  });

  test("with no other channel and nothing accepted, fails the verification and erases its code", async () => {
    const r = rig({ routes: { sms: [{ provider: "sms-a" }, { provider: "sms-b", skipWhy: "breaker_open" }] } });
    r.gateway.reply("sms-a", "invalid_number");

    const result = await sendCode(r.deps, start(started(r)));

    expect(result).toMatchObject({ status: "failed", sealedCode: undefined, dueAt: undefined, lease: undefined });
    expect(r.store.events.at(-1)).toMatchObject({ type: "failed", skipped: [{ provider: "sms-b", why: "breaker_open" }] });
  });

  test("with auto-escalation moves on to the next channel's providers, announcing the escalation", async () => {
    const r = rig({ policy: { autoEscalate: true } });
    r.gateway.reply("sms-a", "no_route").reply("sms-b", "no_route").reply("sms-c", "no_route");

    const result = await sendCode(r.deps, start(started(r)));

    expect(r.gateway.providers()).toEqual(["sms-a", "sms-b", "sms-c", "voice-a"]);
    expect(result).toMatchObject({ status: "submitted", channel: "voice", fallbackChannels: [] });
    expect(result.attempts[3]).toMatchObject({
      channel: "voice",
      provider: "voice-a",
      reason: { kind: "failover", cause: { kind: "escalated", from: "sms", to: "voice" } },
    });
    expect(r.store.story().slice(-2)).toEqual(["failover(escalated)", "submitted"]);
    expect(r.gateway.sent[3]!.message).toMatchObject({ channel: "voice", code: CODE });
  });

  test("auto-escalation whose every channel refuses ends failed, having tried each channel once", async () => {
    const r = rig({ policy: { autoEscalate: true }, routes: { sms: [{ provider: "sms-a" }], voice: [{ provider: "voice-a" }], whatsapp: [{ provider: "wa-a" }] } });
    r.gateway.reply("sms-a", "no_route").reply("voice-a", "no_route").reply("wa-a", "no_route");

    const result = await sendCode(r.deps, start(started(r)));

    expect(r.gateway.providers()).toEqual(["sms-a", "voice-a", "wa-a"]);
    expect(result.status).toBe("failed");
  });

  test("auto-escalation to a channel whose every provider is passed over does not escalate to it again and again", async () => {
    const r = rig({
      policy: { autoEscalate: true },
      routes: { sms: [{ provider: "sms-a" }], voice: [{ provider: "voice-a", skipWhy: "breaker_open" }] },
    });
    r.gateway.reply("sms-a", "no_route");

    const result = await sendCode(r.deps, start(started(r)));

    expect(r.gateway.providers()).toEqual(["sms-a"]);
    expect(result.status).toBe("failed");
    expect(r.store.events.at(-1)).toMatchObject({ type: "failed", skipped: [{ provider: "voice-a", why: "breaker_open" }] });
    expect(r.routes.plans).toBe(2);
  });

  test("auto-escalation between two channels whose every provider is passed over visits each once, then fails", async () => {
    const r = rig({
      policy: { autoEscalate: true },
      routes: {
        sms: [{ provider: "sms-a" }],
        voice: [{ provider: "voice-a", skipWhy: "breaker_open" }],
        whatsapp: [{ provider: "wa-a", skipWhy: "breaker_open" }],
      },
    });
    r.gateway.reply("sms-a", "no_route");

    const result = await sendCode(r.deps, start(started(r)));

    expect(r.gateway.providers()).toEqual(["sms-a"]);
    expect(result.status).toBe("failed");
    expect(r.routes.plans).toBe(3);
  });

  test("auto-escalation from a first channel with no attempts, when every channel is passed over, ends failed", async () => {
    const r = rig({
      policy: { autoEscalate: true },
      routes: { sms: [{ provider: "sms-a", skipWhy: "breaker_open" }], voice: [{ provider: "voice-a", skipWhy: "breaker_open" }] },
    });
    const known = r.seed({ status: "pending", attempts: [] });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "start" }, known });

    expect(r.gateway.sent).toEqual([]);
    expect(result.status).toBe("failed");
    expect(r.store.events.at(-1)).toMatchObject({ type: "failed", skipped: [{ provider: "voice-a", why: "breaker_open" }] });
    expect(r.routes.plans).toBe(2);
  });

  test("auto-escalation past a fully passed-over channel reaches the next one", async () => {
    const r = rig({
      policy: { autoEscalate: true },
      routes: { sms: [{ provider: "sms-a" }], voice: [{ provider: "voice-a", skipWhy: "breaker_open" }], whatsapp: [{ provider: "wa-a" }] },
    });
    r.gateway.reply("sms-a", "no_route");

    const result = await sendCode(r.deps, start(started(r)));

    expect(r.gateway.providers()).toEqual(["sms-a", "wa-a"]);
    expect(result).toMatchObject({ status: "submitted", channel: "whatsapp" });
    expect(result.attempts[1]).toMatchObject({ reason: { kind: "failover", cause: { kind: "escalated", from: "voice", to: "whatsapp" } } });
  });

  test("with an accepted message still out and no other channel, the code stays valid (no failure)", async () => {
    const r = rig({ routes: { sms: [{ provider: "sms-a" }, { provider: "sms-b" }] } });
    const known = r.seed({
      status: "submitted",
      attempts: [attempt({ number: 1, provider: "sms-a", status: "submitted", submittedAt: T0 - WINDOW, providerMessageId: "m-1" })],
      lastSendAt: T0 - WINDOW,
    });
    r.gateway.reply("sms-b", "no_route");

    const result = await sendCode(r.deps, {
      id: ID,
      code: CODE,
      channel: "sms",
      reason: { kind: "failover", cause: { kind: "no_receipt" } },
      timedOut: 1,
      known,
    });

    expect(result).toMatchObject({ status: "submitted", dueAt: T0 + TTL, attempts: [{ status: "timed_out" }, { status: "rejected" }] });
  });
});

describe("sendCode: slow failover and resends", () => {
  test("marks the attempt whose window ran out timed out in the same write as the next attempt", async () => {
    const r = rig();
    const known = r.seed({
      attempts: [attempt({ number: 1, provider: "sms-a", status: "submitted", submittedAt: T0 - WINDOW, providerMessageId: "m-1" })],
    });
    let seen: VerificationRecord | undefined;
    r.gateway.reply("sms-b", async () => {
      seen = r.store.now();
      return { ok: true, providerMessageId: "b" };
    });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "failover", cause: { kind: "no_receipt" } }, timedOut: 1, known });

    expect(seen?.attempts.map((a) => a.status)).toEqual(["timed_out", "sending"]);
    expect(result.attempts.map((a) => a.status)).toEqual(["timed_out", "submitted"]);
    expect(r.store.story()).toEqual(["failover(no_receipt)", "submitted"]);
  });

  test("a window that ran out with no provider left still marks its attempt timed out, then offers the other channels", async () => {
    const r = rig({ routes: { sms: [{ provider: "sms-a" }, { provider: "sms-b" }], voice: [{ provider: "voice-a" }] } });
    const known = r.seed({
      attempts: [
        attempt({ number: 1, provider: "sms-a", status: "timed_out", submittedAt: T0 - 2 * WINDOW }),
        attempt({ number: 2, provider: "sms-b", status: "submitted", submittedAt: T0 - WINDOW, providerMessageId: "m-2" }),
      ],
      lease: { owner: "timers", until: T0 + 60_000 },
    });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "failover", cause: { kind: "no_receipt" } }, timedOut: 2, known });

    expect(r.gateway.sent).toEqual([]);
    expect(result).toMatchObject({ status: "submitted", fallbackChannels: ["voice"], lease: undefined, dueAt: T0 + TTL });
    expect(result.attempts.map((a) => a.status)).toEqual(["timed_out", "timed_out"]);
    expect(r.store.story()).toEqual(["fallback_available"]);
  });

  test("a window that ran out with no provider and no other channel marks the attempt timed out and keeps the code valid", async () => {
    const r = rig({ routes: { sms: [{ provider: "sms-a" }] } });
    const known = r.seed({ attempts: [attempt({ number: 1, provider: "sms-a", status: "submitted", submittedAt: T0 - WINDOW })] });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "failover", cause: { kind: "no_receipt" } }, timedOut: 1, known });

    expect(result).toMatchObject({ status: "submitted", dueAt: T0 + TTL, attempts: [{ status: "timed_out" }] });
    expect(r.store.events).toEqual([]);
  });

  test("a resend after every provider was tried goes round again, preferring one that did not refuse", async () => {
    const r = rig({ routes: { sms: [{ provider: "sms-a" }, { provider: "sms-b" }] } });
    const known = r.seed({
      attempts: [
        attempt({ number: 1, provider: "sms-a", status: "rejected" }),
        attempt({ number: 2, provider: "sms-b", status: "timed_out", submittedAt: T0 - WINDOW }),
      ],
    });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "resend" }, restartRound: true, known });

    expect(r.gateway.providers()).toEqual(["sms-b"]);
    expect(result.attempts[2]).toMatchObject({ number: 3, provider: "sms-b", status: "submitted", reason: { kind: "resend" } });
  });

  test("a resend on another channel moves the verification there and withdraws that channel from the offer", async () => {
    const r = rig();
    const known = r.seed({ fallbackChannels: ["voice"], attempts: [attempt({ number: 1, provider: "sms-a", status: "rejected" })] });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "voice", reason: { kind: "resend" }, restartRound: true, known });

    expect(result).toMatchObject({ channel: "voice", fallbackChannels: [], attempts: [{}, { provider: "voice-a", channel: "voice", status: "submitted" }] });
  });

  test("the round goes on only once: a failover after a restarted attempt's refusal does not restart again", async () => {
    const r = rig({ routes: { sms: [{ provider: "sms-a" }] } });
    const known = r.seed({ attempts: [attempt({ number: 1, provider: "sms-a", status: "timed_out", submittedAt: T0 - WINDOW })] });
    r.gateway.reply("sms-a", "no_route");

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "resend" }, restartRound: true, known });

    expect(r.gateway.providers()).toEqual(["sms-a"]);
    expect(result).toMatchObject({ status: "submitted", dueAt: T0 + TTL, attempts: [{ status: "timed_out" }, { status: "rejected" }] });
  });

  test("a takeover re-sends the same attempt under its own idempotency key, without a new attempt", async () => {
    const r = rig();
    const known = started(r, { lease: { owner: "timers", until: T0 + 9_000 } });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "takeover" }, startWith: 1, known });

    expect(r.gateway.sent.map((s) => s.message.idempotencyKey)).toEqual([`${ID}-attempt-1`]);
    expect(r.gateway.sent[0]!.message.attemptContext?.reason).toEqual({ kind: "takeover" });
    expect(result).toMatchObject({ status: "submitted", lease: undefined, attempts: [{ number: 1, status: "submitted" }] });
  });
});

describe("sendCode: the verification finishes meanwhile", () => {
  test("a verification already finished is answered as it is, without calling anyone", async () => {
    const r = rig();
    const known = r.seed({ status: "canceled", sealedCode: undefined });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "resend" }, known });

    expect(result).toBe(known);
    expect(r.gateway.sent).toEqual([]);
    expect(r.routes.plans).toBe(0);
  });

  test("a stale known record of a verification finished since is caught on the write and nobody is called", async () => {
    const r = rig();
    const known = r.seed();
    r.store.put({ ...known, status: "verified", sealedCode: undefined, version: known.version + 1 });

    const result = await sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "resend" }, known });

    expect(result.status).toBe("verified");
    expect(r.gateway.sent).toEqual([]);
    expect(r.routes.otherLookups).toBe(0);
  });

  test("a refusal on a verification canceled during the call stops the failover", async () => {
    const r = rig();
    const known = started(r);
    r.gateway.reply("sms-a", async () => {
      const now = r.store.now();
      r.store.put({ ...now, status: "canceled", sealedCode: undefined, lease: undefined, dueAt: undefined, version: now.version + 1 });
      return { ok: false, error: { kind: "no_route", message: "x" } };
    });

    const result = await sendCode(r.deps, start(known));

    expect(r.gateway.providers()).toEqual(["sms-a"]);
    expect(result).toMatchObject({ status: "canceled", attempts: [{ status: "rejected" }] });
  });

  test("an acceptance on a verification verified during the call is recorded without reviving it", async () => {
    const r = rig();
    const known = started(r);
    r.gateway.reply("sms-a", async () => {
      const now = r.store.now();
      r.store.put({ ...now, status: "verified", sealedCode: undefined, lease: undefined, dueAt: undefined, version: now.version + 1 });
      return { ok: true, providerMessageId: "late" };
    });

    const result = await sendCode(r.deps, start(known));

    expect(result).toMatchObject({ status: "verified", dueAt: undefined, attempts: [{ status: "submitted", providerMessageId: "late" }] });
  });

  test("a delivered receipt that overtook the provider's answer leaves the verification delivered", async () => {
    const r = rig();
    const known = started(r);
    r.gateway.reply("sms-a", async () => {
      const now = r.store.now();
      const attempts = [{ ...now.attempts[0]!, status: "delivered" as const, providerMessageId: "fast" }];
      r.store.put({ ...now, attempts, status: "delivered", version: now.version + 1 });
      return { ok: true, providerMessageId: "fast" };
    });

    const result = await sendCode(r.deps, start(known));

    expect(result).toMatchObject({ status: "delivered", dueAt: T0 + TTL, attempts: [{ status: "delivered" }] });
  });

  test("an undelivered receipt that overtook the answer makes failover due now and wakes the timers", async () => {
    const r = rig();
    const known = started(r);
    r.gateway.reply("sms-a", async () => {
      const now = r.store.now();
      const held = { state: "undelivered" as const, providerMessageId: "m", at: T0 };
      r.store.put({ ...now, attempts: [{ ...now.attempts[0]!, heldReports: [held] }], version: now.version + 1 });
      return { ok: true, providerMessageId: "m" };
    });

    const result = await sendCode(r.deps, start(known));

    expect(result).toMatchObject({ status: "submitted", dueAt: T0, attempts: [{ status: "undelivered" }] });
    expect(r.performed).toEqual([{ kind: "wake_timers" }]);
  });
});
