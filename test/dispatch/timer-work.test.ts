import { describe, expect, test } from "vitest";
import { runDueWork, unsealCode } from "../../src/dispatch/timer-work.js";
import type { DeliveryReport } from "../../src/verification/ports.js";
import { attempt, ID, T0, TTL, WINDOW } from "../verification/support/builders.js";
import { CODE, rig } from "./support/rig.js";

const CLAIM = { owner: "timers", until: T0 + 60_000 };

/** A verification whose attempt 1 (sms-a, message m-1) was accepted at T0, claimed by the timer loop. */
function claimedAfterSubmit(r: ReturnType<typeof rig>, overrides: Parameters<ReturnType<typeof rig>["seed"]>[0] = {}) {
  return r.seed({
    attempts: [attempt({ number: 1, provider: "sms-a", status: "submitted", providerMessageId: "m-1", submittedAt: T0 })],
    lastSendAt: T0,
    dueAt: T0 + WINDOW,
    lease: CLAIM,
    ...overrides,
  });
}

function status(state: DeliveryReport["state"], providerStatus = state.toUpperCase()): DeliveryReport {
  return { provider: "sms-a", state, providerMessageId: "m-1", providerStatus, at: T0 + 1_000 };
}

describe("runDueWork: settle", () => {
  test("expires a verification past its expiry and erases its code", async () => {
    const r = rig();
    const claimed = claimedAfterSubmit(r);
    r.clock.advance(TTL);

    await runDueWork(r.deps, claimed);

    expect(r.store.now()).toMatchObject({ status: "expired", sealedCode: undefined, dueAt: undefined, lease: undefined });
    expect(r.store.story()).toEqual(["expired"]);
    expect(r.gateway.sent).toEqual([]);
  });

  test("clears the timer and lease of a finished verification without an event", async () => {
    const r = rig();
    const claimed = r.seed({ status: "verified", sealedCode: undefined, dueAt: T0, lease: CLAIM });

    await runDueWork(r.deps, claimed);

    expect(r.store.now()).toMatchObject({ status: "verified", dueAt: undefined, lease: undefined });
    expect(r.store.events).toEqual([]);
  });
});

describe("runDueWork: sleep", () => {
  test("before the window ends, gives up the claim and sleeps until it ends", async () => {
    const r = rig();
    const claimed = claimedAfterSubmit(r);
    r.clock.advance(WINDOW - 1);

    await runDueWork(r.deps, claimed);

    expect(r.store.now()).toMatchObject({ lease: undefined, dueAt: T0 + WINDOW, attempts: [{ status: "submitted" }] });
    expect(r.gateway.sent).toEqual([]);
    expect(r.gateway.queries).toEqual([]);
  });

  test("a delivered verification long after its window only sleeps until expiry; nothing is resent", async () => {
    const r = rig();
    const claimed = claimedAfterSubmit(r, {
      status: "delivered",
      attempts: [attempt({ number: 1, status: "delivered", submittedAt: T0, providerMessageId: "m-1" })],
    });
    r.clock.advance(5 * WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.store.now()).toMatchObject({ status: "delivered", lease: undefined, dueAt: T0 + TTL });
    expect(r.gateway.sent).toEqual([]);
  });
});

describe("runDueWork: takeover and interrupted failover", () => {
  test("re-sends an attempt left sending by an instance that died, with the sealed code", async () => {
    const r = rig();
    const claimed = r.seed({ status: "pending", attempts: [attempt({ number: 1, provider: "sms-a", status: "sending" })], lease: CLAIM, dueAt: T0 });

    await runDueWork(r.deps, claimed);

    expect(r.gateway.sent.map((s) => [s.provider, s.message.idempotencyKey, s.message.code, s.message.attemptContext?.reason])).toEqual([
      ["sms-a", `${ID}-attempt-1`, CODE, { kind: "takeover" }],
    ]);
    expect(r.store.now()).toMatchObject({ status: "submitted", attempts: [{ number: 1, status: "submitted" }] });
  });

  test("a takeover happens on the sending attempt's channel", async () => {
    const r = rig();
    const claimed = r.seed({ channel: "sms", attempts: [attempt({ number: 1, provider: "voice-a", channel: "voice", status: "sending" })], lease: CLAIM });

    await runDueWork(r.deps, claimed);

    expect(r.gateway.sent[0]).toMatchObject({ provider: "voice-a", message: { channel: "voice" } });
  });

  test("carries on a failover cut short after a rejection, with the rejection as the cause", async () => {
    const r = rig();
    const error = { kind: "no_route", message: "nope" } as const;
    const claimed = r.seed({ status: "pending", attempts: [attempt({ number: 1, provider: "sms-a", status: "rejected", error })], lease: CLAIM });

    await runDueWork(r.deps, claimed);

    expect(r.gateway.providers()).toEqual(["sms-b"]);
    expect(r.gateway.sent[0]!.message.code).toBe(CODE);
    expect(r.store.now().attempts[1]).toMatchObject({ provider: "sms-b", status: "submitted", reason: { kind: "failover", cause: { kind: "rejected", error } } });
    expect(r.store.story()).toEqual(["failover(rejected)", "submitted"]);
  });

  test("fails over at once after an undelivered receipt, leaving that attempt undelivered", async () => {
    const r = rig();
    const claimed = r.seed({ attempts: [attempt({ number: 1, provider: "sms-a", status: "undelivered", submittedAt: T0 })], dueAt: T0, lease: CLAIM });

    await runDueWork(r.deps, claimed);

    expect(r.gateway.providers()).toEqual(["sms-b"]);
    expect(r.store.now().attempts.map((a) => a.status)).toEqual(["undelivered", "submitted"]);
    expect(r.store.now().attempts[1]!.reason).toEqual({ kind: "failover", cause: { kind: "undelivered" } });
  });

  test("a verification without a sealed code cannot be resent: an internal error", async () => {
    const r = rig();
    const claimed = r.seed({ sealedCode: undefined, attempts: [attempt({ number: 1, status: "sending" })], lease: CLAIM });

    await expect(runDueWork(r.deps, claimed)).rejects.toMatchObject({ kind: "internal", message: `verification ${ID} has no code to resend` });
    expect(r.gateway.sent).toEqual([]);
  });
});

describe("runDueWork: the delivery window ran out", () => {
  test("at exactly the window's end, without a way to ask the provider, fails over as no_receipt and marks the attempt timed out", async () => {
    const r = rig();
    const claimed = claimedAfterSubmit(r);
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.queries).toEqual([]);
    expect(r.gateway.sent.map((s) => [s.provider, s.message.code, s.message.idempotencyKey])).toEqual([["sms-b", CODE, `${ID}-attempt-2`]]);
    expect(r.store.now().attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sms-a", "timed_out"],
      ["sms-b", "submitted"],
    ]);
    expect(r.store.story()).toEqual(["failover(no_receipt)", "submitted"]);
    expect(r.store.now().dueAt).toBe(T0 + 2 * WINDOW);
  });

  test("asks a provider that can say; delivered stops there, applied like a receipt, with no resend", async () => {
    const r = rig();
    r.gateway.queryable.add("sms-a");
    r.gateway.statuses.set("m-1", status("delivered", "DELIVRD"));
    const claimed = claimedAfterSubmit(r);
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.queries).toEqual([["sms-a", "m-1"]]);
    expect(r.gateway.sent).toEqual([]);
    expect(r.store.now()).toMatchObject({
      status: "delivered",
      dueAt: T0 + TTL,
      attempts: [{ status: "delivered", providerStatus: "DELIVRD", deliveredAt: T0 + 1_000 }],
    });
    expect(r.store.story()).toEqual(["delivered"]);
  });

  test("a delivered answer that does not match the attempt's message id is not applied, and nothing is resent either", async () => {
    const r = rig();
    r.gateway.queryable.add("sms-a");
    r.gateway.statuses.set("m-1", { ...status("delivered"), providerMessageId: "m-other" });
    const claimed = claimedAfterSubmit(r);
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.sent).toEqual([]);
    expect(r.store.now().attempts[0]!.status).toBe("submitted");
  });

  test("undelivered from the provider fails over at once as undelivered, without marking the attempt timed out", async () => {
    const r = rig();
    r.gateway.queryable.add("sms-a");
    r.gateway.statuses.set("m-1", { ...status("undelivered"), error: "absent subscriber" });
    const claimed = claimedAfterSubmit(r);
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.providers()).toEqual(["sms-b"]);
    const stored = r.store.now();
    expect(stored.attempts.map((a) => a.status)).toEqual(["undelivered", "submitted"]);
    expect(stored.attempts[0]!.error).toEqual({ kind: "undelivered", message: "absent subscriber" });
    expect(stored.attempts[1]!.reason).toEqual({ kind: "failover", cause: { kind: "undelivered" } });
    expect(r.store.story()).toEqual(["undelivered", "failover(undelivered)", "submitted"]);
  });

  test.each([
    ["an intermediate state", status("intermediate", "sent")],
    ["no answer", undefined],
  ])("%s from the provider fails over as no_receipt, marking the attempt timed out", async (_what, answer) => {
    const r = rig();
    r.gateway.queryable.add("sms-a");
    r.gateway.statuses.set("m-1", answer);
    const claimed = claimedAfterSubmit(r);
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.queries).toEqual([["sms-a", "m-1"]]);
    expect(r.gateway.providers()).toEqual(["sms-b"]);
    expect(r.store.now().attempts.map((a) => a.status)).toEqual(["timed_out", "submitted"]);
    expect(r.store.now().attempts[1]!.reason).toEqual({ kind: "failover", cause: { kind: "no_receipt" } });
  });

  test("the last provider's window running out with no provider left marks it timed out and sleeps until expiry", async () => {
    const r = rig({ routes: { sms: [{ provider: "sms-a" }] } });
    const claimed = claimedAfterSubmit(r);
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.sent).toEqual([]);
    expect(r.store.now()).toMatchObject({ status: "submitted", lease: undefined, dueAt: T0 + TTL, attempts: [{ status: "timed_out" }] });
  });

  test("an attempt without a message id is not asked about, even where the provider could say", async () => {
    const r = rig();
    r.gateway.queryable.add("sms-a");
    const claimed = claimedAfterSubmit(r, { attempts: [attempt({ number: 1, provider: "sms-a", status: "submitted", submittedAt: T0 })] });
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.queries).toEqual([]);
    expect(r.store.now().attempts.map((a) => a.status)).toEqual(["timed_out", "submitted"]);
  });

  test("undelivered from the provider for a verification finished meanwhile resends nothing", async () => {
    const r = rig();
    r.gateway.queryable.add("sms-a");
    r.gateway.statuses.set("m-1", status("undelivered"));
    const claimed = claimedAfterSubmit(r);
    r.store.put({ ...claimed, status: "canceled", sealedCode: undefined, dueAt: undefined, lease: undefined, version: claimed.version + 1 });
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.sent).toEqual([]);
    expect(r.store.now().status).toBe("canceled");
  });

  test("undelivered from the provider when another attempt was delivered meanwhile resends nothing", async () => {
    const r = rig();
    r.gateway.queryable.add("sms-b");
    r.gateway.statuses.set("m-2", { ...status("undelivered"), provider: "sms-b", providerMessageId: "m-2" });
    const claimed = r.seed({
      attempts: [
        attempt({ number: 1, provider: "sms-a", status: "timed_out", providerMessageId: "m-1", submittedAt: T0 - WINDOW }),
        attempt({ number: 2, provider: "sms-b", status: "submitted", providerMessageId: "m-2", submittedAt: T0 }),
      ],
      lease: CLAIM,
    });
    const delivered = { ...claimed.attempts[0]!, status: "delivered" as const };
    r.store.put({ ...claimed, status: "delivered", attempts: [delivered, claimed.attempts[1]!], version: claimed.version + 1 });
    r.clock.advance(WINDOW);

    await runDueWork(r.deps, claimed);

    expect(r.gateway.sent).toEqual([]);
    expect(r.store.now()).toMatchObject({ status: "delivered", attempts: [{ status: "delivered" }, { status: "undelivered" }] });
  });
});

describe("unsealCode", () => {
  test("opens the record's sealed code", () => {
    const r = rig();

    expect(unsealCode(r.deps, r.seed())).toBe(CODE);
  });
});
