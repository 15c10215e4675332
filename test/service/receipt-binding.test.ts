/**
 * Issue 10 at the service: a receipt changes an attempt only when its
 * provider and message id are that attempt's. A provider signs a receipt's
 * body, not the callback path, so the attempt a receipt names (from the path)
 * is a claim, and the message id it carries is what proves it. The suites in
 * test/providers/<name>/<name>-receipt-binding.test.ts check the same through
 * each adapter over HTTP.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import type { DeliveryReport, OutboundMessage, SendResult } from "../../src/providers/adapter.js";
import type { VerificationRecord } from "../../src/verification/model.js";
import { eventually } from "../support/eventually.js";
import { ScriptedProvider, silentLogger } from "../support/fakes.js";
import { createHarness, type Harness, OTHER_PHONE, PHONE } from "../support/service-harness.js";

afterEach(() => {
  vi.restoreAllMocks();
});

async function stored(h: Harness, id: string): Promise<VerificationRecord> {
  const record = await h.store.get(id);
  if (!record) throw new Error(`verification ${id} is not in the store`);
  // The memory store hands out the records it keeps: a copy is what the verification was at this moment.
  return structuredClone(record);
}

/** A receipt from `provider` for message `providerMessageId`, claiming attempt `attemptNumber` of `verificationId`. */
function receipt(
  h: Harness,
  claims: { provider: string; providerMessageId: string; verificationId?: string; attemptNumber?: number },
  state: DeliveryReport["state"],
): DeliveryReport {
  const report: DeliveryReport = { provider: claims.provider, state, providerMessageId: claims.providerMessageId, providerStatus: state, at: h.clock.now() };
  if (claims.verificationId !== undefined) report.reference = { verificationId: claims.verificationId, attemptNumber: claims.attemptNumber ?? 1 };
  return report;
}

/** Two verifications whose first attempts sms-a accepted, each with its own message id. */
async function twoSent(h: Harness) {
  const a = await h.service.start({ phoneNumber: PHONE });
  const b = await h.service.start({ phoneNumber: OTHER_PHONE });
  const idOf = (record: VerificationRecord) => record.attempts[0]!.providerMessageId!;
  expect([a.attempts[0]?.provider, b.attempts[0]?.provider]).toEqual(["sms-a", "sms-a"]);
  expect(idOf(a)).not.toBe(idOf(b));
  return { a, b, aMessage: idOf(a), bMessage: idOf(b) };
}

describe("a receipt changes only the attempt whose message it names", () => {
  test.each(["delivered", "undelivered"] as const)(
    "a receipt saying %s for A's message that names B's attempt changes neither A nor B, sends nothing, and is logged against B",
    async (state) => {
      const h = createHarness();
      const { a, b, aMessage } = await twoSent(h);
      const before = { a: await stored(h, a.id), b: await stored(h, b.id), events: h.store.published.length };
      const warn = vi.spyOn(silentLogger, "warn");

      await h.service.handleReceipt(receipt(h, { provider: "sms-a", providerMessageId: aMessage, verificationId: b.id }, state));
      await h.runTimers();

      expect(await stored(h, b.id)).toEqual(before.b);
      expect(await stored(h, a.id)).toEqual(before.a);
      expect(h.store.published).toHaveLength(before.events);
      expect(h.allSent()).toHaveLength(2);
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ verificationId: b.id, attemptNumber: 1, providerMessageId: aMessage }), expect.any(String));
    },
  );

  test("a receipt from another provider that names B's attempt and B's message id changes nothing and is logged", async () => {
    const h = createHarness();
    const { b, bMessage } = await twoSent(h);
    const before = await stored(h, b.id);
    const warn = vi.spyOn(silentLogger, "warn");

    await h.service.handleReceipt(receipt(h, { provider: "sms-b", providerMessageId: bMessage, verificationId: b.id }, "undelivered"));

    expect(await stored(h, b.id)).toEqual(before);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ verificationId: b.id, provider: "sms-b" }), expect.any(String));
  });

  test("a receipt that names no attempt finds A by its provider and message id, and B stays as it was", async () => {
    const h = createHarness();
    const { a, b, aMessage } = await twoSent(h);
    const before = await stored(h, b.id);

    await h.service.handleReceipt(receipt(h, { provider: "sms-a", providerMessageId: aMessage }, "delivered"));

    expect((await stored(h, a.id)).status).toBe("delivered");
    expect(await stored(h, b.id)).toEqual(before);
  });

  test("the receipt for A's own message that names A's attempt still applies", async () => {
    const h = createHarness();
    const { a, b, aMessage } = await twoSent(h);
    const before = await stored(h, b.id);

    await h.service.handleReceipt(receipt(h, { provider: "sms-a", providerMessageId: aMessage, verificationId: a.id }, "undelivered"));
    await h.runTimers();

    expect((await stored(h, a.id)).attempts.map((attempt) => [attempt.provider, attempt.status])).toEqual([
      ["sms-a", "undelivered"],
      ["sms-b", "submitted"],
    ]);
    expect(await stored(h, b.id)).toEqual(before);
  });
});

/** sms-a, whose sends wait for the test to let them answer: the window between an attempt being recorded and its provider's answer. */
class GatedProvider extends ScriptedProvider {
  #open: () => void = () => {};
  readonly #gate = new Promise<void>((resolve) => {
    this.#open = resolve;
  });

  open(): void {
    this.#open();
  }

  override async send(message: OutboundMessage, signal: AbortSignal): Promise<SendResult> {
    await this.#gate;
    return super.send(message, signal);
  }
}

describe("a receipt that overtakes its send's answer", () => {
  // Known gap, kept as a failing test until the receipt transition holds such receipts (issue 10 race).
  // While the attempt has no message id yet, applyReceipt accepts any id and keeps it, and
  // recordSendOutcome keeps that id over the provider's answer (??=): a signed receipt for another
  // message, posted while the provider call is in flight, sets B's state and binds B to the wrong
  // message, so B's genuine receipts are refused afterwards. Turn this into `test` once it passes.
  test("a receipt for another message, arriving before the provider has answered B's send, neither changes B nor binds it to that message", async () => {
    const gated = new GatedProvider("sms-a", ["sms"]);
    const h = createHarness({ providers: [gated, new ScriptedProvider("sms-b", ["sms"])] });
    const starting = h.service.start({ phoneNumber: PHONE });
    const sending = await eventually(async () => {
      const record = await h.store.findActiveByPhone(PHONE);
      expect(record?.attempts[0]?.status).toBe("sending");
      return record!;
    });

    await h.service.handleReceipt(receipt(h, { provider: "sms-a", providerMessageId: "sms-a-msg-of-verification-a", verificationId: sending.id }, "delivered"));
    gated.open();
    const b = await starting;

    expect(b.attempts[0]).toMatchObject({ providerMessageId: "sms-a-msg-1", status: "submitted" });
    expect(b.status).toBe("submitted");
    expect(h.store.eventsFor(b.id).map((event) => event.type)).not.toContain("delivered");
  });
});
