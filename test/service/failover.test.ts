import { describe, expect, test } from "vitest";
import type { DeliveryReport } from "../../src/providers/adapter.js";
import type { VerificationRecord } from "../../src/verification/model.js";
import { settle } from "../support/fakes.js";
import { createHarness, DEFAULT_POLICY, type Harness, LEASE_MS, PHONE } from "../support/service-harness.js";

const WINDOW = DEFAULT_POLICY.deliveryWindowMs;

function receipt(h: Harness, record: VerificationRecord, attemptNumber: number, state: DeliveryReport["state"], providerStatus?: string): DeliveryReport {
  const attempt = record.attempts[attemptNumber - 1]!;
  return {
    provider: attempt.provider,
    state,
    reference: { verificationId: record.id, attemptNumber },
    providerMessageId: attempt.providerMessageId,
    providerStatus: providerStatus ?? state,
    at: h.clock.now(),
  };
}

async function stored(h: Harness, id: string): Promise<VerificationRecord> {
  const record = await h.store.get(id);
  if (!record) throw new Error(`verification ${id} is not in the store`);
  return record;
}

describe("slow failover", () => {
  test("does nothing before the delivery window has passed", async () => {
    const h = createHarness();
    await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(WINDOW - 1);

    await h.runTimers();

    expect(h.allSent()).toHaveLength(1);
  });

  test("resends the same code through the next provider when the window passes without a receipt, and marks attempt 1 timed out", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(WINDOW);

    await h.runTimers();

    const firstCode = h.provider("sms-a").sent[0]!.code;
    expect(h.provider("sms-b").sent.map((m) => m.code)).toEqual([firstCode]);
    expect(h.provider("sms-b").sent[0]!.idempotencyKey).toBe(`${started.id}-attempt-2`);
    const record = await stored(h, started.id);
    expect(record.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sms-a", "timed_out"],
      ["sms-b", "submitted"],
    ]);
    const failover = h.store.eventsFor(started.id).find((e) => e.type === "failover");
    expect(failover).toMatchObject({ provider: "sms-b", cause: { kind: "no_receipt" }, attemptNumber: 2 });
  });

  test("offers voice once every SMS provider's window has passed, without calling anyone", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(WINDOW);
    await h.runTimers();
    h.clock.advance(WINDOW);

    await h.runTimers();

    const record = await stored(h, started.id);
    expect(record.status).toBe("submitted");
    expect(record.fallbackChannels).toEqual(["voice"]);
    expect(record.attempts.map((a) => a.status)).toEqual(["timed_out", "timed_out"]);
    expect(h.provider("voice-a").sent).toHaveLength(0);
    expect(h.store.eventsFor(started.id).map((e) => e.type)).toContain("fallback_available");
  });

  test("a DELIVERED receipt stops automatic resends", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });

    await h.service.handleReceipt(receipt(h, started, 1, "delivered"));
    h.clock.advance(WINDOW * 3);
    await h.runTimers();

    const record = await stored(h, started.id);
    expect(record.status).toBe("delivered");
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0]!.status).toBe("delivered");
    expect(h.allSent()).toHaveLength(1);
  });

  test("an UNDELIVERED receipt makes the verification due at once and fails over without waiting for the window", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });
    const wakeupsBefore = h.wakeups;

    await h.service.handleReceipt(receipt(h, started, 1, "undelivered"));
    expect(h.wakeups).toBe(wakeupsBefore + 1);
    await h.runTimers();

    const firstCode = h.provider("sms-a").sent[0]!.code;
    expect(h.provider("sms-b").sent.map((m) => m.code)).toEqual([firstCode]);
    const record = await stored(h, started.id);
    expect(record.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sms-a", "undelivered"],
      ["sms-b", "submitted"],
    ]);
    const failover = h.store.eventsFor(started.id).find((e) => e.type === "failover");
    expect(failover?.cause).toEqual({ kind: "undelivered" });
  });

  test("a verification nobody checks is EXPIRED by the timer at code_ttl", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });
    await h.service.handleReceipt(receipt(h, started, 1, "delivered"));
    h.clock.advance(DEFAULT_POLICY.codeTtlMs);

    await h.runTimers();

    const record = await stored(h, started.id);
    expect(record.status).toBe("expired");
    expect(record.sealedCode).toBeUndefined();
    expect(h.store.eventsFor(started.id).at(-1)?.type).toBe("expired");
  });
});

describe("delivery receipts", () => {
  test("the same DELIVERED receipt applied twice records one delivered event", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });

    await h.service.handleReceipt(receipt(h, started, 1, "delivered"));
    await h.service.handleReceipt(receipt(h, started, 1, "delivered"));

    expect(h.store.eventsFor(started.id).filter((e) => e.type === "delivered")).toHaveLength(1);
  });

  test("a late intermediate receipt after DELIVERED does not move the attempt back", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });
    await h.service.handleReceipt(receipt(h, started, 1, "delivered", "DELIVRD"));
    const before = await stored(h, started.id);

    await h.service.handleReceipt(receipt(h, started, 1, "intermediate", "sent"));

    const after = await stored(h, started.id);
    expect(after.status).toBe("delivered");
    expect(after.attempts[0]).toMatchObject({ status: "delivered", providerStatus: "DELIVRD" });
    expect(after.version).toBe(before.version);
  });

  test("an UNDELIVERED receipt after DELIVERED is ignored and triggers no failover", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });
    await h.service.handleReceipt(receipt(h, started, 1, "delivered"));

    await h.service.handleReceipt(receipt(h, started, 1, "undelivered"));
    await h.runTimers();

    const record = await stored(h, started.id);
    expect(record.status).toBe("delivered");
    expect(record.attempts[0]!.status).toBe("delivered");
    expect(h.store.eventsFor(started.id).map((e) => e.type)).not.toContain("undelivered");
    expect(h.allSent()).toHaveLength(1);
  });

  test("an intermediate receipt before delivery keeps the provider's status but does not stop the window", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });

    await h.service.handleReceipt(receipt(h, started, 1, "intermediate", "queued"));
    expect((await stored(h, started.id)).attempts[0]).toMatchObject({ status: "submitted", providerStatus: "queued" });
    h.clock.advance(WINDOW);
    await h.runTimers();

    expect(h.provider("sms-b").sent).toHaveLength(1);
  });

  test("a late DELIVERED for an attempt that already timed out still marks the verification DELIVERED", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });
    h.clock.advance(WINDOW);
    await h.runTimers();
    expect((await stored(h, started.id)).attempts[0]!.status).toBe("timed_out");

    await h.service.handleReceipt(receipt(h, started, 1, "delivered"));

    const record = await stored(h, started.id);
    expect(record.status).toBe("delivered");
    expect(record.attempts[0]!.status).toBe("delivered");
    // Delivered stops the second attempt's window too.
    h.clock.advance(WINDOW);
    await h.runTimers();
    expect(h.allSent()).toHaveLength(2);
  });

  test("a receipt that carries only the provider's message id finds its attempt", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });

    await h.service.handleReceipt({
      provider: "sms-a",
      state: "delivered",
      providerMessageId: started.attempts[0]!.providerMessageId,
      at: h.clock.now(),
    });

    expect((await stored(h, started.id)).status).toBe("delivered");
  });

  test("a receipt from a provider other than the attempt's is ignored", async () => {
    const h = createHarness();
    const started = await h.service.start({ phoneNumber: PHONE });

    await h.service.handleReceipt({ ...receipt(h, started, 1, "delivered"), provider: "sms-b" });

    expect((await stored(h, started.id)).status).toBe("submitted");
  });
});

describe("takeover", () => {
  test("a verification left SENDING under a lapsed lease is re-sent by the timer with the same idempotency key", async () => {
    const h = createHarness();
    // The instance that started it "dies" while the provider call is in flight.
    h.provider("sms-a").replyNext("hang");
    void h.service.start({ phoneNumber: PHONE });
    await settle();
    const [firstMessage] = h.provider("sms-a").sent;
    expect(firstMessage).toBeDefined();
    const id = firstMessage!.reference.verificationId;
    expect((await stored(h, id)).attempts[0]!.status).toBe("sending");

    h.clock.advance(LEASE_MS - 1);
    await h.runTimers();
    expect(h.provider("sms-a").sent).toHaveLength(1);

    h.clock.advance(1);
    await h.runTimers();

    const sent = h.provider("sms-a").sent;
    expect(sent).toHaveLength(2);
    expect(sent[1]!.idempotencyKey).toBe(`${id}-attempt-1`);
    expect(sent[1]!.code).toBe(firstMessage!.code);
    const record = await stored(h, id);
    expect(record.status).toBe("submitted");
    expect(record.attempts).toHaveLength(1);
    expect(record.attempts[0]!.status).toBe("submitted");
  });

  // The sender records a rejection and the next attempt in two writes; dying between them must not strand the code.
  test("a verification whose sender died right after a rejection is failed over to the next provider once the lease lapses", async () => {
    const h = createHarness();
    const now = h.clock.now();
    const id = "ver_crashed_after_rejection";
    const code = "424242";
    await h.store.insert({
      id,
      phoneNumber: PHONE,
      country: "US",
      channel: "sms",
      status: "pending",
      attempts: [
        {
          number: 1,
          provider: "sms-a",
          channel: "sms",
          status: "rejected",
          error: { kind: "no_route", message: "scripted" },
          idempotencyKey: `${id}-attempt-1`,
          startedAt: now,
        },
      ],
      createdAt: now,
      updatedAt: now,
      expiresAt: now + DEFAULT_POLICY.codeTtlMs,
      checkAttemptsRemaining: DEFAULT_POLICY.maxCheckAttempts,
      fallbackChannels: [],
      codeLength: 6,
      codeHash: h.vault.hash(id, code),
      sealedCode: h.vault.seal(id, code),
      locale: "en",
      metadata: {},
      requestFingerprint: "fingerprint",
      dueAt: now + LEASE_MS,
      lease: { owner: "dead-instance", until: now + LEASE_MS },
      sequence: 2,
      version: 3,
    });
    h.clock.advance(LEASE_MS);

    await h.runTimers();

    expect(h.provider("sms-b").sent.map((m) => m.code)).toEqual([code]);
    const record = await stored(h, id);
    expect(record.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sms-a", "rejected"],
      ["sms-b", "submitted"],
    ]);
    expect(record.status).toBe("submitted");
  });
});
