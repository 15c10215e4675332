import { describe, expect, test } from "vitest";
import { ScriptedProvider } from "../support/fakes.js";
import { createHarness, DEFAULT_POLICY, type Harness, PHONE } from "../support/service-harness.js";

const WINDOW = DEFAULT_POLICY.deliveryWindowMs;

/** sms-a answers status queries; sms-b is the next provider to fail over to. */
function harness(options: { statusPoll?: boolean } = {}): Harness {
  const providers = [new ScriptedProvider("sms-a", ["sms"]).answerStatusQueries(), new ScriptedProvider("sms-b", ["sms"])];
  return createHarness({ providers, statusPoll: options.statusPoll });
}

async function startAndLetWindowPass(h: Harness) {
  const started = await h.service.start({ phoneNumber: PHONE });
  const messageId = (await h.store.get(started.id))!.attempts[0]!.providerMessageId!;
  return { started, messageId };
}

describe("delivery status polling at the end of the delivery window", () => {
  test("a provider that says delivered makes the verification DELIVERED and nothing is resent", async () => {
    const h = harness();
    const { started, messageId } = await startAndLetWindowPass(h);
    h.provider("sms-a").statuses.set(messageId, "delivered");
    h.clock.advance(WINDOW);

    await h.runTimers();

    const record = await h.store.get(started.id);
    expect(record?.status).toBe("delivered");
    expect(record?.attempts.map((a) => [a.provider, a.status])).toEqual([["sms-a", "delivered"]]);
    expect(h.provider("sms-b").sent).toHaveLength(0);
    expect(h.store.eventsFor(started.id).map((e) => e.type)).toContain("delivered");
  });

  test("a provider that says undelivered fails over at once with cause undelivered", async () => {
    const h = harness();
    const { started, messageId } = await startAndLetWindowPass(h);
    h.provider("sms-a").statuses.set(messageId, "undelivered");
    h.clock.advance(WINDOW);

    await h.runTimers();

    const record = await h.store.get(started.id);
    expect(record?.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sms-a", "undelivered"],
      ["sms-b", "submitted"],
    ]);
    expect(h.provider("sms-b").sent.map((m) => m.code)).toEqual(h.provider("sms-a").sent.map((m) => m.code));
    expect(h.store.eventsFor(started.id).find((e) => e.type === "failover")?.cause).toEqual({ kind: "undelivered" });
  });

  test("a provider that still says sent (or does not know) fails over as no_receipt and times the attempt out", async () => {
    for (const answer of ["intermediate", undefined] as const) {
      const h = harness();
      const { started, messageId } = await startAndLetWindowPass(h);
      if (answer) h.provider("sms-a").statuses.set(messageId, answer);
      h.clock.advance(WINDOW);

      await h.runTimers();

      const record = await h.store.get(started.id);
      expect(record?.attempts.map((a) => a.status)).toEqual(["timed_out", "submitted"]);
      expect(h.store.eventsFor(started.id).find((e) => e.type === "failover")?.cause).toEqual({ kind: "no_receipt" });
    }
  });

  test("the provider is asked only when its window is over, and not at all with status_poll off", async () => {
    const h = harness();
    const { messageId } = await startAndLetWindowPass(h);
    h.clock.advance(WINDOW - 1);
    await h.runTimers();
    expect(h.gateway.queries).toEqual([]);
    h.clock.advance(1);
    await h.runTimers();
    expect(h.gateway.queries).toEqual([`sms-a:${messageId}`]);

    const off = harness({ statusPoll: false });
    const second = await startAndLetWindowPass(off);
    off.provider("sms-a").statuses.set(second.messageId, "delivered");
    off.clock.advance(WINDOW);
    await off.runTimers();
    expect(off.gateway.queries).toEqual([]);
    expect(off.provider("sms-b").sent).toHaveLength(1);
  });

  test("a DELIVERED answer counts for the provider like a receipt: a delivered event names its attempt", async () => {
    const h = harness();
    const { started, messageId } = await startAndLetWindowPass(h);
    h.provider("sms-a").statuses.set(messageId, "delivered");
    h.clock.advance(WINDOW);

    await h.runTimers();

    expect(h.store.eventsFor(started.id).find((e) => e.type === "delivered")).toMatchObject({ provider: "sms-a", attemptNumber: 1 });
  });
});
