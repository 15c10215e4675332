import { describe, expect, test } from "vitest";
import { VerifyError } from "../../src/verification/errors.js";
import { expectVerifyError } from "../support/expect-error.js";
import { ScriptedProvider } from "../support/fakes.js";
import { createHarness, PHONE } from "../support/service-harness.js";

const deadline = () => new VerifyError("deadline_exceeded", "the call's deadline passed before the code was sent");

/** A provider that refuses, and while it answers the caller's deadline passes. */
function refusingWhileTheDeadlinePasses(controller: AbortController): ScriptedProvider {
  const provider = new ScriptedProvider("sms-a", ["sms"], "no_route");
  const send = provider.send.bind(provider);
  provider.send = async (message, signal) => {
    controller.abort(deadline());
    return send(message, signal);
  };
  return provider;
}

describe("the caller's deadline", () => {
  test("a Start whose deadline has already passed creates nothing and sends nothing", async () => {
    const h = createHarness();
    const controller = new AbortController();
    controller.abort(deadline());

    await expectVerifyError(h.service.start({ phoneNumber: PHONE, idempotencyKey: "k-1" }, controller.signal), "deadline_exceeded");

    expect(h.allSent()).toHaveLength(0);
    expect(await h.store.findActiveByPhone(PHONE)).toBeUndefined();
  });

  test("no provider call starts once the deadline passed: fast failover stops, and the planned attempt is taken back", async () => {
    const controller = new AbortController();
    const h = createHarness({ providers: [refusingWhileTheDeadlinePasses(controller), new ScriptedProvider("sms-b", ["sms"])] });

    await expectVerifyError(h.service.start({ phoneNumber: PHONE, idempotencyKey: "k-2" }, controller.signal), "deadline_exceeded");

    expect(h.provider("sms-b").sent).toHaveLength(0);
    const record = await h.store.findByIdempotencyKey("k-2");
    expect(record?.status).toBe("pending");
    expect(record?.attempts.map((a) => [a.provider, a.status])).toEqual([["sms-a", "rejected"]]);
    expect(record?.lease).toBeUndefined();
    expect(record?.dueAt).toBe(record?.expiresAt);
  });

  test("a retry with the same idempotency key resumes the cut-short Start with the same code", async () => {
    const controller = new AbortController();
    const h = createHarness({ providers: [refusingWhileTheDeadlinePasses(controller), new ScriptedProvider("sms-b", ["sms"])] });
    await expectVerifyError(h.service.start({ phoneNumber: PHONE, idempotencyKey: "k-3" }, controller.signal), "deadline_exceeded");

    const resumed = await h.service.start({ phoneNumber: PHONE, idempotencyKey: "k-3" });

    expect(resumed.status).toBe("submitted");
    expect(resumed.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sms-a", "rejected"],
      ["sms-b", "submitted"],
    ]);
    expect(h.provider("sms-b").sent.map((m) => m.code)).toEqual(h.provider("sms-a").sent.map((m) => m.code));
    // A second retry replays: nothing is sent again.
    await h.service.start({ phoneNumber: PHONE, idempotencyKey: "k-3" });
    expect(h.provider("sms-b").sent).toHaveLength(1);
  });

  test("a caller that went away is canceled, not deadline exceeded", async () => {
    const h = createHarness();
    const controller = new AbortController();
    controller.abort();

    await expectVerifyError(h.service.start({ phoneNumber: PHONE }, controller.signal), "canceled");
    expect(h.allSent()).toHaveLength(0);
  });

  test("a Resend out of time sends nothing and leaves the verification as it was", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(60_000);
    const controller = new AbortController();
    controller.abort(deadline());

    await expectVerifyError(h.service.resend(started.id, undefined, undefined, controller.signal), "deadline_exceeded");

    expect(h.allSent()).toHaveLength(1);
    expect((await h.store.get(started.id))?.attempts).toHaveLength(1);
  });
});
