import { describe, expect, test } from "vitest";
import { expectVerifyError } from "../support/expect-error.js";
import { createHarness, DEFAULT_POLICY, PHONE } from "../support/service-harness.js";

describe("Resend", () => {
  test("within resend_min_interval fails with rate_limited and says how long to wait", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(10_000);

    const error = await expectVerifyError(h.service.resend(record.id), "rate_limited");

    expect(error.details.retryAfterMs).toBe(DEFAULT_POLICY.resendMinIntervalMs - 10_000);
    expect(h.allSent()).toHaveLength(1);
  });

  test("after resend_min_interval sends the same code again on the same verification", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(DEFAULT_POLICY.resendMinIntervalMs);

    const resent = await h.service.resend(record.id);

    expect(resent.id).toBe(record.id);
    const codes = h.allSent().map((m) => m.code);
    expect(codes).toHaveLength(2);
    expect(new Set(codes).size).toBe(1);
  });

  test("with the offered channel sends the same code there and switches the verification to it", async () => {
    const h = createHarness();
    h.provider("sms-a").replyAlways("unavailable");
    h.provider("sms-b").replyAlways("unavailable");
    const offered = await h.service.start({ phoneNumber: PHONE });
    expect(offered.fallbackChannels).toEqual(["voice"]);

    const resent = await h.service.resend(offered.id, "voice");

    expect(resent.channel).toBe("voice");
    expect(resent.status).toBe("submitted");
    expect(resent.fallbackChannels).toEqual([]);
    expect(h.provider("voice-a").sent.map((m) => m.code)).toEqual([h.provider("sms-a").sent[0]!.code]);
    expect(h.provider("voice-a").sent[0]!.channel).toBe("voice");
  });

  test("on a finished verification fails with failed_precondition", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE });
    await h.service.cancel(record.id);
    h.clock.advance(DEFAULT_POLICY.resendMinIntervalMs);

    await expectVerifyError(h.service.resend(record.id), "failed_precondition");
    expect(h.allSent()).toHaveLength(1);
  });

  test("on an expired verification fails with failed_precondition and records the expiry", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(DEFAULT_POLICY.codeTtlMs);

    await expectVerifyError(h.service.resend(record.id), "failed_precondition");
    expect((await h.store.get(record.id))?.status).toBe("expired");
  });

  test("to a channel with no provider for the country fails with failed_precondition", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(DEFAULT_POLICY.resendMinIntervalMs);

    await expectVerifyError(h.service.resend(record.id, "whatsapp"), "failed_precondition");
  });

  test("on an unknown id fails with not_found", async () => {
    const h = createHarness();

    await expectVerifyError(h.service.resend("ver_unknown"), "not_found");
  });
});

describe("Cancel", () => {
  test("ends an active verification as CANCELED and forgets its sealed code", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE });

    const canceled = await h.service.cancel(record.id);

    expect(canceled.status).toBe("canceled");
    expect(canceled.sealedCode).toBeUndefined();
    expect(h.store.eventsFor(record.id).at(-1)?.type).toBe("canceled");
  });

  test("on a finished verification fails with failed_precondition", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE });
    await h.service.cancel(record.id);

    await expectVerifyError(h.service.cancel(record.id), "failed_precondition");
  });
});

describe("Get", () => {
  test("reads an unexpired verification as stored, and one past code_ttl as EXPIRED before any timer ran", async () => {
    const h = createHarness();
    const record = await h.service.start({ phoneNumber: PHONE });

    expect((await h.service.get(record.id)).status).toBe("submitted");
    h.clock.advance(DEFAULT_POLICY.codeTtlMs);
    expect((await h.service.get(record.id)).status).toBe("expired");
  });

  test("on an unknown id fails with not_found", async () => {
    const h = createHarness();

    await expectVerifyError(h.service.get("ver_unknown"), "not_found");
  });
});
