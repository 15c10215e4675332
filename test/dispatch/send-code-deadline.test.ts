import { describe, expect, test } from "vitest";
import { callerGone, sendCode } from "../../src/dispatch/send-code.js";
import { VerifyError } from "../../src/verification/errors.js";
import type { VerificationRecord } from "../../src/verification/model.js";
import { attempt, ID, T0, TTL } from "../verification/support/builders.js";
import { CODE, LEASE_MS, type Rig, rig } from "./support/rig.js";

function started(r: Rig): VerificationRecord {
  const lease = { owner: "me", until: T0 + LEASE_MS };
  return r.seed({
    status: "pending",
    attempts: [{ ...attempt({ number: 1, provider: "sms-a", status: "sending" }), reason: { kind: "start" } }],
    lease,
    dueAt: lease.until,
  });
}

const deadline = () => new VerifyError("deadline_exceeded", "out of time");

describe("sendCode and the caller's signal", () => {
  test("an already aborted signal calls no provider, takes the recorded attempt back and throws the caller's reason", async () => {
    const r = rig();
    const controller = new AbortController();
    controller.abort(deadline());

    const sending = sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "start" }, startWith: 1, known: started(r), signal: controller.signal });

    await expect(sending).rejects.toMatchObject({ kind: "deadline_exceeded" });
    expect(r.gateway.providers()).toEqual([]);
    expect(r.store.now()).toMatchObject({ status: "pending", attempts: [], lease: undefined, dueAt: T0 + TTL });
  });

  test("a signal aborted while a provider refuses stops fast failover before the next provider", async () => {
    const r = rig();
    const controller = new AbortController();
    r.gateway.reply("sms-a", () => {
      controller.abort(deadline());
      return { ok: false, error: { kind: "no_route", message: "no" } };
    });

    const sending = sendCode(r.deps, { id: ID, code: CODE, channel: "sms", reason: { kind: "start" }, startWith: 1, known: started(r), signal: controller.signal });

    await expect(sending).rejects.toMatchObject({ kind: "deadline_exceeded" });
    expect(r.gateway.providers()).toEqual(["sms-a"]);
    expect(r.store.now().attempts.map((a) => a.status)).toEqual(["rejected"]);
    expect(r.store.now().lease).toBeUndefined();
  });

  test("callerGone throws the API's reason as it is, and canceled for an abort without one", () => {
    const reason = deadline();
    const aborted = new AbortController();
    aborted.abort(reason);
    expect(callerGone(aborted.signal)).toBe(reason);
    const bare = new AbortController();
    bare.abort();
    expect(callerGone(bare.signal)).toMatchObject({ kind: "canceled" });
  });
});
