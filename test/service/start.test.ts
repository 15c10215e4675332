import { describe, expect, test } from "vitest";
import { expectVerifyError } from "../support/expect-error.js";
import { ScriptedProvider } from "../support/fakes.js";
import { createHarness, DEFAULT_POLICY, OTHER_PHONE, PHONE } from "../support/service-harness.js";

describe("Start", () => {
  test("creates a SUBMITTED verification whose first attempt carries the idempotency key <id>-attempt-1", async () => {
    const h = createHarness();
    const startedAt = h.clock.now();

    const record = await h.service.start({ phoneNumber: PHONE });

    expect(record.status).toBe("submitted");
    expect(record.phoneNumber).toBe(PHONE);
    expect(record.country).toBe("US");
    expect(record.channel).toBe("sms");
    expect(record.expiresAt).toBe(startedAt + DEFAULT_POLICY.codeTtlMs);
    expect(record.checkAttemptsRemaining).toBe(DEFAULT_POLICY.maxCheckAttempts);
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0]).toMatchObject({
      number: 1,
      provider: "sms-a",
      channel: "sms",
      status: "submitted",
      idempotencyKey: `${record.id}-attempt-1`,
      providerMessageId: "sms-a-msg-1",
    });
    const sent = h.provider("sms-a").sent;
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      to: PHONE,
      idempotencyKey: `${record.id}-attempt-1`,
      reference: { verificationId: record.id, attemptNumber: 1 },
    });
    expect(h.provider("sms-b").sent).toHaveLength(0);
  });

  test("sends a code of the policy's length by default and of code_length when one is asked for", async () => {
    const h = createHarness();

    await h.service.start({ phoneNumber: PHONE });
    await h.service.start({ phoneNumber: OTHER_PHONE, codeLength: 8 });

    const [first, second] = h.provider("sms-a").sent;
    expect(first!.code).toMatch(/^[0-9]{6}$/);
    expect(second!.code).toMatch(/^[0-9]{8}$/);
    expect(first!.body).toContain(first!.code);
  });

  test("fails over to the next provider inside the same call when the first rejects", async () => {
    const h = createHarness();
    h.provider("sms-a").replyNext("no_route");

    const record = await h.service.start({ phoneNumber: PHONE });

    expect(record.status).toBe("submitted");
    expect(record.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sms-a", "rejected"],
      ["sms-b", "submitted"],
    ]);
    expect(record.attempts[0]!.error?.kind).toBe("no_route");
    expect(record.attempts[1]!.idempotencyKey).toBe(`${record.id}-attempt-2`);
    const rejectedCode = h.provider("sms-a").sent[0]!.code;
    expect(h.provider("sms-b").sent.map((m) => m.code)).toEqual([rejectedCode]);
    expect(h.provider("sms-b").sent[0]!.idempotencyKey).toBe(`${record.id}-attempt-2`);
    expect(h.store.eventsFor(record.id).map((e) => e.type)).toEqual(["rejected", "failover", "submitted"]);
  });

  test("offers the other routable channel, without switching, when every provider of the channel rejects", async () => {
    const h = createHarness();
    h.provider("sms-a").replyAlways("unavailable");
    h.provider("sms-b").replyAlways("no_route");

    const record = await h.service.start({ phoneNumber: PHONE });

    expect(record.status).toBe("pending");
    expect(record.channel).toBe("sms");
    expect(record.fallbackChannels).toEqual(["voice"]);
    expect(h.provider("voice-a").sent).toHaveLength(0);
    const types = h.store.eventsFor(record.id).map((e) => e.type);
    expect(types.filter((t) => t === "fallback_available")).toHaveLength(1);
    expect(types.at(-1)).toBe("fallback_available");
  });

  test("switches to voice by itself when policy.auto_escalate is true, with the same code", async () => {
    const h = createHarness({ policy: { autoEscalate: true } });
    h.provider("sms-a").replyAlways("unavailable");
    h.provider("sms-b").replyAlways("unavailable");

    const record = await h.service.start({ phoneNumber: PHONE });

    expect(record.status).toBe("submitted");
    expect(record.channel).toBe("voice");
    expect(record.attempts.map((a) => [a.provider, a.channel, a.status])).toEqual([
      ["sms-a", "sms", "rejected"],
      ["sms-b", "sms", "rejected"],
      ["voice-a", "voice", "submitted"],
    ]);
    expect(h.provider("voice-a").sent[0]!.code).toBe(h.provider("sms-a").sent[0]!.code);
    expect(h.store.eventsFor(record.id).map((e) => e.type)).not.toContain("fallback_available");
  });

  test("throws unavailable and keeps the record FAILED when no channel is routable", async () => {
    const h = createHarness({
      providers: [new ScriptedProvider("sms-a", ["sms"], "unavailable"), new ScriptedProvider("sms-b", ["sms"], "no_route")],
    });

    await expectVerifyError(h.service.start({ phoneNumber: PHONE, idempotencyKey: "order-1" }), "unavailable");

    const stored = await h.store.findByIdempotencyKey("order-1");
    expect(stored?.status).toBe("failed");
    expect(stored?.attempts.map((a) => a.status)).toEqual(["rejected", "rejected"]);
    expect(stored?.sealedCode).toBeUndefined();
    expect(h.store.eventsFor(stored!.id).at(-1)?.type).toBe("failed");
  });

  test("rejects an unparseable number as invalid_argument before sending anything", async () => {
    const h = createHarness();

    await expectVerifyError(h.service.start({ phoneNumber: "not a number" }), "invalid_argument");

    expect(h.allSent()).toHaveLength(0);
  });
});

describe("Start with an idempotency key", () => {
  test("returns the same verification for the same key and parameters, and sends nothing more", async () => {
    const h = createHarness();
    const first = await h.service.start({ phoneNumber: PHONE, idempotencyKey: "signup-42" });
    h.clock.advance(DEFAULT_POLICY.resendMinIntervalMs + 1);

    const again = await h.service.start({ phoneNumber: PHONE, idempotencyKey: "signup-42" });

    expect(again.id).toBe(first.id);
    expect(h.allSent()).toHaveLength(1);
  });

  test("rejects a key reused with different parameters as invalid_argument", async () => {
    const h = createHarness();
    await h.service.start({ phoneNumber: PHONE, idempotencyKey: "signup-42" });

    await expectVerifyError(h.service.start({ phoneNumber: OTHER_PHONE, idempotencyKey: "signup-42" }), "invalid_argument");
    await expectVerifyError(h.service.start({ phoneNumber: PHONE, idempotencyKey: "signup-42", locale: "de" }), "invalid_argument");
    expect(h.allSent()).toHaveLength(1);
  });

  test("releases a key held by an expired verification and creates a new verification for it", async () => {
    const h = createHarness();
    const first = await h.service.start({ phoneNumber: PHONE, idempotencyKey: "signup-42" });
    h.clock.advance(DEFAULT_POLICY.codeTtlMs);

    const second = await h.service.start({ phoneNumber: PHONE, idempotencyKey: "signup-42" });

    expect(second.id).not.toBe(first.id);
    expect(second.status).toBe("submitted");
    expect((await h.store.get(first.id))?.status).toBe("expired");
    expect((await h.store.findByIdempotencyKey("signup-42"))?.id).toBe(second.id);
  });
});

describe("Start on a number with an active verification", () => {
  test("within resend_min_interval returns the same verification and sends nothing", async () => {
    const h = createHarness();
    const first = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(DEFAULT_POLICY.resendMinIntervalMs - 1);

    const second = await h.service.start({ phoneNumber: PHONE });

    expect(second.id).toBe(first.id);
    expect(h.allSent()).toHaveLength(1);
  });

  test("after resend_min_interval re-sends the same code on the same verification", async () => {
    const h = createHarness();
    const first = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(DEFAULT_POLICY.resendMinIntervalMs);

    const second = await h.service.start({ phoneNumber: PHONE });

    expect(second.id).toBe(first.id);
    const codes = h.allSent().map((m) => m.code);
    expect(codes).toHaveLength(2);
    expect(codes[1]).toBe(codes[0]);
    expect(second.attempts).toHaveLength(2);
    expect(second.attempts[1]!.idempotencyKey).toBe(`${first.id}-attempt-2`);
  });

  test("creates a new verification once the active one has expired", async () => {
    const h = createHarness();
    const first = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(DEFAULT_POLICY.codeTtlMs);

    const second = await h.service.start({ phoneNumber: PHONE });

    expect(second.id).not.toBe(first.id);
    expect((await h.store.get(first.id))?.status).toBe("expired");
  });
});
