import { setTimeout as sleep } from "node:timers/promises";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AttemptStatus, Channel, EventType, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { FakeClock } from "../support/clock.js";
import { eventually } from "../support/eventually.js";
import { expectConnectError } from "../support/expect-error.js";
import { codeFromBody } from "../support/outbox.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { WatchRecorder } from "../support/watch.js";
import { ms, requireVerification } from "./responses.js";
import { DELIVERY_WINDOW_MS, E2E_SCENARIO } from "./scenario.js";

// Delivery windows run out when a test moves this clock, not while it waits.
const clock = new FakeClock(Date.now());
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: E2E_SCENARIO, clock });
});

afterAll(async () => {
  await server?.close();
});

describe("failover", () => {
  test("a synchronous rejection fails over to the next provider within the same Start (fast failover)", async () => {
    const phoneNumber = "+12025550110";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    expect(started.status).toBe(VerificationStatus.SUBMITTED);
    expect(started.attempts.map((a) => [a.number, a.provider, a.status])).toEqual([
      [1, "sim-a", AttemptStatus.REJECTED],
      [2, "sim-b", AttemptStatus.SUBMITTED],
    ]);
    expect(started.attempts[0]!.error).toMatch(/no_route/);
    expect(started.attempts.map((a) => a.idempotencyKey)).toEqual([`${started.id}-attempt-1`, `${started.id}-attempt-2`]);

    const messages = await server.waitForOutbox(phoneNumber, 1);
    expect(messages.map((m) => m.provider)).toEqual(["sim-b"]);
    const code = codeFromBody(messages[0]!.body);
    expect((await server.connectH2.check({ verificationId: started.id, code })).approved).toBe(true);
  });

  test("a provider that never answers is abandoned after its timeout and the next provider takes the message", async () => {
    const phoneNumber = "+12025550150";
    const began = Date.now();
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    expect(started.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sim-a", AttemptStatus.REJECTED],
      ["sim-b", AttemptStatus.SUBMITTED],
    ]);
    expect(started.attempts[0]!.error).toMatch(/timed out/);
    const messages = await server.waitForOutbox(phoneNumber, 1);
    expect(messages.map((m) => m.provider)).toEqual(["sim-b"]);
  });

  test("an accepted code with no receipt is resent, the same code, through the next provider after delivery_window (slow failover)", async () => {
    const phoneNumber = "+12025550120";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    expect(started.attempts.map((a) => [a.provider, a.status])).toEqual([["sim-a", AttemptStatus.SUBMITTED]]);
    const watch = WatchRecorder.connect(server.connectH2.watch({ verificationId: started.id }));
    await watch.waitFor(EventType.SNAPSHOT);

    clock.advance(DELIVERY_WINDOW_MS);
    const messages = await server.waitForOutbox(phoneNumber, 2);
    expect(messages.map((m) => m.provider)).toEqual(["sim-a", "sim-b"]);
    const codes = messages.map((m) => codeFromBody(m.body));
    expect(codes[1]).toBe(codes[0]);

    const failover = await watch.waitFor(EventType.FAILOVER);
    expect(failover.provider).toBe("sim-b");
    expect(failover.reason).toMatch(/no_receipt/);

    const got = requireVerification((await server.connectH2.get({ verificationId: started.id })).verification);
    expect(got.attempts.map((a) => a.provider)).toEqual(["sim-a", "sim-b"]);
    expect(got.attempts[0]!.status).toBe(AttemptStatus.TIMED_OUT);
    expect(got.attempts[1]!.idempotencyKey).toBe(`${started.id}-attempt-2`);
    // The resend waited for the whole window, not less.
    expect(ms(got.attempts[1]!.startedAt) - ms(got.attempts[0]!.submittedAt)).toBeGreaterThanOrEqual(DELIVERY_WINDOW_MS);

    const checked = await server.connectH2.check({ verificationId: started.id, code: codes[0]! });
    expect(checked.approved).toBe(true);
    expect((await watch.ended()).ok).toBe(true);
  });

  test("an UNDELIVERED receipt fails over at once, without waiting for delivery_window", async () => {
    const phoneNumber = "+12025550130";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const messages = await server.waitForOutbox(phoneNumber, 2);
    expect(messages.map((m) => m.provider)).toEqual(["sim-a", "sim-b"]);
    expect(codeFromBody(messages[1]!.body)).toBe(codeFromBody(messages[0]!.body));

    const got = requireVerification((await server.connectH2.get({ verificationId: started.id })).verification);
    expect(got.attempts[0]!.status).toBe(AttemptStatus.UNDELIVERED);
    expect(got.attempts[0]!.error).not.toBe("");
    const waitedMs = ms(got.attempts[1]!.startedAt) - ms(got.attempts[0]!.submittedAt);
    expect(waitedMs).toBeLessThan(DELIVERY_WINDOW_MS);
  });

  test("a DELIVERED receipt marks the verification DELIVERED and stops further resends", async () => {
    const phoneNumber = "+12025550106";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const delivered = await eventually(async () => {
      const verification = requireVerification((await server.connectH2.get({ verificationId: started.id })).verification);
      expect(verification.status).toBe(VerificationStatus.DELIVERED);
      return verification;
    });
    expect(delivered.attempts[0]!.status).toBe(AttemptStatus.DELIVERED);
    expect(delivered.attempts[0]!.deliveredAt).toBeDefined();

    // Two delivery windows pass, and the timer loop looks a few times: nothing is resent.
    clock.advance(2 * DELIVERY_WINDOW_MS);
    await sleep(100);
    const later = requireVerification((await server.connectH2.get({ verificationId: started.id })).verification);
    expect(later.status).toBe(VerificationStatus.DELIVERED);
    expect(later.attempts).toHaveLength(1);
    expect(await server.outbox(phoneNumber)).toHaveLength(1);
  });

  test("when every SMS provider rejects, Start offers voice (PENDING, FALLBACK_AVAILABLE) and Resend on VOICE sends the code by voice", async () => {
    const phoneNumber = "+12025550140";
    const before = server.createdIds().length;
    const starting = server.connectH2.start({ phoneNumber });
    // sim-a takes 150 ms to refuse: time enough to watch from the start.
    const id = await eventually(() => {
      const id = server.createdIds()[before];
      expect(id).toBeDefined();
      return id!;
    });
    const watch = WatchRecorder.connect(server.connectH2.watch({ verificationId: id }));

    const started = requireVerification((await starting).verification);
    expect(started.id).toBe(id);
    expect(started.status).toBe(VerificationStatus.PENDING);
    expect(started.fallbackChannels).toEqual([Channel.VOICE]);
    expect(started.channel).toBe(Channel.SMS);
    expect(started.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sim-a", AttemptStatus.REJECTED],
      ["sim-b", AttemptStatus.REJECTED],
    ]);

    const offer = await watch.waitFor(EventType.FALLBACK_AVAILABLE);
    expect(offer.verification?.fallbackChannels).toEqual([Channel.VOICE]);
    expect(watch.types).toEqual([EventType.SNAPSHOT, EventType.REJECTED, EventType.FAILOVER, EventType.REJECTED, EventType.FALLBACK_AVAILABLE]);
    expect(await server.outbox(phoneNumber)).toEqual([]);

    const resent = requireVerification((await server.connectH2.resend({ verificationId: id, channel: Channel.VOICE })).verification);
    expect(resent.channel).toBe(Channel.VOICE);
    expect(resent.attempts.at(-1)).toMatchObject({ provider: "sim-voice", channel: Channel.VOICE, status: AttemptStatus.SUBMITTED });
    const [call] = await server.waitForOutbox(phoneNumber, 1);
    expect(call).toMatchObject({ provider: "sim-voice", channel: "voice" });
    const code = codeFromBody(call!.body);
    expect((await server.connectH2.check({ verificationId: id, code })).approved).toBe(true);
    expect((await watch.ended()).ok).toBe(true);
  });

  test("when slow failover runs out of SMS providers, voice is offered and Resend on VOICE sends the same code", async () => {
    const phoneNumber = "+12025550170";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const watch = WatchRecorder.connect(server.connectH2.watch({ verificationId: started.id }));
    await watch.waitFor(EventType.SNAPSHOT);
    // sim-a's window, then sim-b's, which starts once sim-b's attempt is recorded.
    clock.advance(DELIVERY_WINDOW_MS);
    await eventually(async () => {
      const verification = requireVerification((await server.connectH2.get({ verificationId: started.id })).verification);
      expect(verification.attempts.at(-1)).toMatchObject({ provider: "sim-b", status: AttemptStatus.SUBMITTED });
    });
    clock.advance(DELIVERY_WINDOW_MS);
    const offer = await watch.waitFor(EventType.FALLBACK_AVAILABLE);
    expect(offer.verification?.fallbackChannels).toEqual([Channel.VOICE]);
    // The code may still arrive by SMS, so the verification stays open.
    expect(offer.verification?.status).toBe(VerificationStatus.SUBMITTED);

    const sms = await server.outbox(phoneNumber);
    expect(sms.map((m) => m.provider)).toEqual(["sim-a", "sim-b"]);
    await server.connectH2.resend({ verificationId: started.id, channel: Channel.VOICE });
    const messages = await server.waitForOutbox(phoneNumber, 3);
    expect(messages[2]).toMatchObject({ provider: "sim-voice", channel: "voice" });
    const codes = messages.map((m) => codeFromBody(m.body));
    expect(new Set(codes).size).toBe(1);
  });

  test("when no channel is routable Start fails with UNAVAILABLE and the verification is kept as FAILED", async () => {
    const phoneNumber = "+33612345601";
    const before = server.createdIds().length;
    await expectConnectError(server.connectH2.start({ phoneNumber }), Code.Unavailable, /no provider could take the message.*sim-a.*sim-b/);
    const [id] = server.createdIds().slice(before);
    expect(id).toBeDefined();
    const kept = requireVerification((await server.connectH2.get({ verificationId: id! })).verification);
    expect(kept.status).toBe(VerificationStatus.FAILED);
    expect(kept.fallbackChannels).toEqual([]);
    expect(kept.attempts.map((a) => [a.provider, a.status])).toEqual([
      ["sim-a", AttemptStatus.REJECTED],
      ["sim-b", AttemptStatus.REJECTED],
    ]);
    expect(await server.outbox(phoneNumber)).toEqual([]);
  });
});
