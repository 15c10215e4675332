import { setTimeout as sleep } from "node:timers/promises";
import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import { toJson } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import {
  AttemptStatus,
  Channel,
  EventType,
  type Verification,
  VerificationEventSchema,
  VerificationService,
  VerificationStatus,
} from "../../gen/verify/v1/verify_pb.js";
import {
  BASE_POLICY,
  codeFromBody,
  createGrpcJsClient,
  eventually,
  expectConnectError,
  type GrpcJsClient,
  startTestApp,
  type TestServer,
  type VerificationClient,
  WatchRecorder,
  wrongCode,
} from "./harness.js";

const DELIVERY_WINDOW_MS = 300;

let server: TestServer;

beforeAll(async () => {
  server = await startTestApp();
});

afterAll(async () => {
  await server?.close();
});

function ms(timestamp: Timestamp | undefined): number {
  if (!timestamp) throw new Error("timestamp is missing");
  return timestampMs(timestamp);
}

function requireVerification(verification: Verification | undefined): Verification {
  if (!verification) throw new Error("response carries no verification");
  return verification;
}

describe("Start, then Check with the code the user received", () => {
  const transports: Array<[string, string, (s: TestServer) => VerificationClient]> = [
    ["Connect (JSON) on HTTP/1.1", "+12025550100", (s) => s.connectH1],
    ["Connect (binary) on HTTP/2", "+12025550101", (s) => s.connectH2],
    ["gRPC through connect-node", "+12025550102", (s) => s.grpc],
    ["gRPC-Web on HTTP/1.1", "+12025550103", (s) => s.grpcWeb],
  ];

  test.each(transports)("approves the code sent by Start over %s", async (_, phoneNumber, clientOf) => {
    const client = clientOf(server);
    const started = requireVerification((await client.start({ phoneNumber })).verification);
    expect(started.id).toMatch(/^ver_/);
    expect(started.phoneNumber).toBe(phoneNumber);
    expect(started.country).toBe("US");
    expect(started.status).toBe(VerificationStatus.SUBMITTED);
    expect(started.attempts).toHaveLength(1);
    expect(started.attempts[0]).toMatchObject({
      number: 1,
      provider: "sim-a",
      status: AttemptStatus.SUBMITTED,
      idempotencyKey: `${started.id}-attempt-1`,
    });

    const code = await server.codeSentTo(phoneNumber);
    expect(code).toHaveLength(BASE_POLICY.code_length);
    const checked = await client.check({ verificationId: started.id, code });
    expect(checked.approved).toBe(true);
    expect(checked.verification?.status).toBe(VerificationStatus.VERIFIED);
  });

  test("approves the code sent by Start over @grpc/grpc-js", async () => {
    const phoneNumber = "+12025550104";
    const { grpcJs } = server;
    const started = requireVerification((await grpcJs.unary(VerificationService.method.start, { phoneNumber })).verification);
    expect(started.status).toBe(VerificationStatus.SUBMITTED);

    const code = await server.codeSentTo(phoneNumber);
    const checked = await grpcJs.unary(VerificationService.method.check, { verificationId: started.id, code });
    expect(checked.approved).toBe(true);
    expect(checked.verification?.status).toBe(VerificationStatus.VERIFIED);

    const got = await grpcJs.unary(VerificationService.method.get, { verificationId: started.id });
    expect(got.verification?.status).toBe(VerificationStatus.VERIFIED);
    expect(got.verification?.verifiedAt).toBeDefined();
  });

  test("a plain JSON POST to the Start route works over HTTP/1.1, as curl sends it", async () => {
    const phoneNumber = "+12025550105";
    const response = await fetch(`${server.url}/verify.v1.VerificationService/Start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phoneNumber }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { verification: { id: string; phoneNumber: string; status: string; country: string } };
    expect(body.verification.id).toMatch(/^ver_/);
    expect(body.verification).toMatchObject({ phoneNumber, country: "US", status: "VERIFICATION_STATUS_SUBMITTED" });
    await server.waitForOutbox(phoneNumber, 1);
  });
});

describe("reading a verification", () => {
  test("Get returns what Start created: E.164 number, country, channel, expiry, attempts left and metadata", async () => {
    const phoneNumber = "+12025550201";
    const started = requireVerification(
      (await server.connectH2.start({ phoneNumber, locale: "de-DE", metadata: { order: "o-17", user: "u-9" } })).verification,
    );
    const got = requireVerification((await server.connectH1.get({ verificationId: started.id })).verification);
    expect(got.id).toBe(started.id);
    expect(got.phoneNumber).toBe(phoneNumber);
    expect(got.country).toBe("US");
    expect(got.channel).toBe(Channel.SMS);
    expect(got.locale).toBe("de-DE");
    expect(got.codeLength).toBe(BASE_POLICY.code_length);
    expect(got.metadata).toEqual({ order: "o-17", user: "u-9" });
    expect(got.checkAttemptsRemaining).toBe(BASE_POLICY.max_check_attempts);
    expect(ms(got.expiresAt) - ms(got.createdAt)).toBe(5000);
    expect(got.fallbackChannels).toEqual([]);
    // The locale picks the template: the German text went out.
    const [message] = await server.waitForOutbox(phoneNumber, 1);
    expect(message!.body).toMatch(/Bestätigungscode/);
  });

  test("a national number is read with default_country and stored as E.164", async () => {
    const started = requireVerification((await server.connectH2.start({ phoneNumber: "(202) 555-0202", defaultCountry: "US" })).verification);
    expect(started.phoneNumber).toBe("+12025550202");
    expect(started.country).toBe("US");
    await server.waitForOutbox("+12025550202", 1);
  });

  test("a German number follows the DE route, whose first provider is sim-b", async () => {
    const started = requireVerification((await server.connectH2.start({ phoneNumber: "015123456789", defaultCountry: "de" })).verification);
    expect(started.phoneNumber).toBe("+4915123456789");
    expect(started.country).toBe("DE");
    expect(started.attempts.map((attempt) => attempt.provider)).toEqual(["sim-b"]);
    const [message] = await server.waitForOutbox("+4915123456789", 1);
    expect(message!.provider).toBe("sim-b");
  });

  test("code_length 4 and 10 produce codes of that length, and 0 means the configured default", async () => {
    for (const [phoneNumber, codeLength, expected] of [
      ["+12025550203", 4, 4],
      ["+12025550204", 10, 10],
      ["+12025550205", 0, BASE_POLICY.code_length],
    ] as const) {
      const started = requireVerification((await server.connectH2.start({ phoneNumber, codeLength })).verification);
      expect(started.codeLength).toBe(expected);
      const code = await server.codeSentTo(phoneNumber);
      expect(code).toHaveLength(expected);
      expect((await server.connectH2.check({ verificationId: started.id, code })).approved).toBe(true);
    }
  });
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

    // Two delivery windows pass: nothing is resent.
    await sleep(2 * DELIVERY_WINDOW_MS + 100);
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
    expect(watch.types).toEqual([
      EventType.SNAPSHOT,
      EventType.REJECTED,
      EventType.FAILOVER,
      EventType.REJECTED,
      EventType.FALLBACK_AVAILABLE,
    ]);
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

describe("one verification per number, and idempotency", () => {
  test("Start with the same idempotency key and parameters returns the same verification and sends nothing more", async () => {
    const phoneNumber = "+12025550107";
    const request = { phoneNumber, idempotencyKey: "signup-0107", metadata: { user: "u-107" } };
    const first = requireVerification((await server.connectH2.start(request)).verification);
    await server.waitForOutbox(phoneNumber, 1);
    // Past resend_min_interval, a Start that was not a replay would send the code again.
    await sleep(300);
    const second = requireVerification((await server.connectH1.start(request)).verification);
    expect(second.id).toBe(first.id);
    expect(second.attempts).toHaveLength(1);
    expect(await server.outbox(phoneNumber)).toHaveLength(1);
  });

  test("a second Start on a number with an active verification returns that verification, re-sending the same code", async () => {
    const phoneNumber = "+12025550108";
    const first = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const code = await server.codeSentTo(phoneNumber);

    // Within resend_min_interval: the same verification, nothing sent.
    const soon = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    expect(soon.id).toBe(first.id);
    expect(await server.outbox(phoneNumber)).toHaveLength(1);

    await sleep(250);
    const later = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    expect(later.id).toBe(first.id);
    expect(later.attempts).toHaveLength(2);
    const messages = await server.waitForOutbox(phoneNumber, 2);
    expect(messages.map((m) => codeFromBody(m.body))).toEqual([code, code]);
    expect((await server.connectH2.check({ verificationId: first.id, code })).approved).toBe(true);
  });
});

describe("Resend", () => {
  test("Resend without a channel sends the same code again through the next provider of the route", async () => {
    const phoneNumber = "+12025550209";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const code = await server.codeSentTo(phoneNumber);
    await sleep(250); // past resend_min_interval
    const resent = requireVerification((await server.connectH1.resend({ verificationId: started.id })).verification);
    expect(resent.id).toBe(started.id);
    expect(resent.channel).toBe(Channel.SMS);
    expect(resent.attempts.map((a) => [a.number, a.provider])).toEqual([
      [1, "sim-a"],
      [2, "sim-b"],
    ]);
    expect(resent.attempts[1]!.idempotencyKey).toBe(`${started.id}-attempt-2`);
    const messages = await server.waitForOutbox(phoneNumber, 2);
    expect(messages.map((m) => [m.provider, codeFromBody(m.body)])).toEqual([
      ["sim-a", code],
      ["sim-b", code],
    ]);
    expect((await server.connectH2.check({ verificationId: started.id, code })).approved).toBe(true);
  });
});

describe("concurrent Starts", () => {
  test("concurrent Starts on one number all get the same verification, and one code is sent", async () => {
    const phoneNumber = "+12025550210";
    const clients = [server.connectH1, server.connectH2, server.grpc, server.grpcWeb, server.connectH2];
    const answers = await Promise.all(clients.map((client) => client.start({ phoneNumber })));
    const ids = new Set(answers.map((answer) => answer.verification?.id));
    expect(ids.size).toBe(1);
    await server.waitForOutbox(phoneNumber, 1);
    await sleep(100);
    expect(await server.outbox(phoneNumber)).toHaveLength(1);
  });

  test("concurrent Starts with one idempotency key all get the same verification", async () => {
    const phoneNumber = "+12025550211";
    const request = { phoneNumber, idempotencyKey: "concurrent-0211" };
    const answers = await Promise.all([1, 2, 3, 4].map(() => server.connectH2.start(request)));
    expect(new Set(answers.map((answer) => answer.verification?.id)).size).toBe(1);
    await server.waitForOutbox(phoneNumber, 1);
    await sleep(100);
    expect(await server.outbox(phoneNumber)).toHaveLength(1);
  });
});

describe("Cancel", () => {
  test("Cancel ends the verification and its code no longer approves", async () => {
    const phoneNumber = "+12025550206";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const code = await server.codeSentTo(phoneNumber);
    const canceled = requireVerification((await server.connectH1.cancel({ verificationId: started.id })).verification);
    expect(canceled.status).toBe(VerificationStatus.CANCELED);

    const checked = await server.connectH2.check({ verificationId: started.id, code });
    expect(checked.approved).toBe(false);
    expect(checked.verification?.status).toBe(VerificationStatus.CANCELED);
  });

  test("after Cancel, a new Start on the number creates a new verification", async () => {
    const phoneNumber = "+12025550207";
    const first = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    await server.connectH2.cancel({ verificationId: first.id });
    const second = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    expect(second.id).not.toBe(first.id);
    expect(await server.waitForOutbox(phoneNumber, 2)).toHaveLength(2);
  });
});

describe("Watch", () => {
  test("two watchers each get a SNAPSHOT, then the same events in increasing sequence, and the streams end OK after VERIFIED", async () => {
    const phoneNumber = "+12025550300";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const code = await server.codeSentTo(phoneNumber);
    // Let the receipt land first, so both snapshots see the same state.
    await eventually(async () => {
      expect((await server.connectH2.get({ verificationId: started.id })).verification?.status).toBe(VerificationStatus.DELIVERED);
    });

    const overConnect = WatchRecorder.connect(server.connectH2.watch({ verificationId: started.id }));
    const overGrpcJs = WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId: started.id }));
    await overConnect.waitFor(EventType.SNAPSHOT);
    await overGrpcJs.waitFor(EventType.SNAPSHOT);

    await server.connectH2.check({ verificationId: started.id, code: wrongCode(code) });
    await server.connectH2.check({ verificationId: started.id, code });

    expect(await overConnect.ended()).toEqual({ ok: true });
    expect(await overGrpcJs.ended()).toEqual({ ok: true });
    for (const watch of [overConnect, overGrpcJs]) {
      expect(watch.types).toEqual([EventType.SNAPSHOT, EventType.CHECK_FAILED, EventType.VERIFIED]);
      const sequences = watch.events.map((event) => Number(event.sequence));
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(new Set(sequences).size).toBe(sequences.length);
      expect(watch.events.every((event) => event.verificationId === started.id)).toBe(true);
    }
    const [snapshot, failed, verified] = overConnect.events;
    expect(snapshot!.verification?.status).toBe(VerificationStatus.DELIVERED);
    expect(failed!.verification?.checkAttemptsRemaining).toBe(BASE_POLICY.max_check_attempts - 1);
    expect(verified!.verification?.status).toBe(VerificationStatus.VERIFIED);

    // The two watchers saw the very same sequence (the snapshot's `at` is when each watch began).
    const comparable = (watch: WatchRecorder) =>
      watch.events.map((event, index) => {
        const json = toJson(VerificationEventSchema, event) as Record<string, unknown>;
        if (index === 0) delete json.at;
        return json;
      });
    expect(comparable(overGrpcJs)).toEqual(comparable(overConnect));
  });

  test("Watch follows a verification from SUBMITTED through DELIVERED to CANCELED, and ends", async () => {
    const phoneNumber = "+12025550301";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const watch = WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId: started.id }));
    await watch.waitFor(EventType.DELIVERED);
    await server.grpcJs.unary(VerificationService.method.cancel, { verificationId: started.id });
    const canceled = await watch.waitFor(EventType.CANCELED);
    expect(canceled.verification?.status).toBe(VerificationStatus.CANCELED);
    expect(await watch.ended()).toEqual({ ok: true });
    expect(watch.types.at(0)).toBe(EventType.SNAPSHOT);
    expect(watch.types.slice(-2)).toEqual([EventType.DELIVERED, EventType.CANCELED]);
  });

  test("Watch on a finished verification sends its SNAPSHOT and ends at once", async () => {
    const phoneNumber = "+12025550302";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    await server.connectH2.cancel({ verificationId: started.id });

    for (const watch of [
      WatchRecorder.connect(server.connectH1.watch({ verificationId: started.id })),
      WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId: started.id })),
    ]) {
      expect(await watch.ended(2000)).toEqual({ ok: true });
      expect(watch.types).toEqual([EventType.SNAPSHOT]);
      expect(watch.events[0]!.verification?.status).toBe(VerificationStatus.CANCELED);
    }
  });

  test("a watcher that goes away does not disturb the verification or other watchers", async () => {
    const phoneNumber = "+12025550303";
    const started = requireVerification((await server.connectH2.start({ phoneNumber })).verification);
    const code = await server.codeSentTo(phoneNumber);
    const leaving = new AbortController();
    const left = WatchRecorder.connect(server.connectH2.watch({ verificationId: started.id }, { signal: leaving.signal }));
    const staying = WatchRecorder.connect(server.connectH2.watch({ verificationId: started.id }));
    await left.waitFor(EventType.SNAPSHOT);
    await staying.waitFor(EventType.SNAPSHOT);
    leaving.abort();
    const outcome = await left.ended();
    expect(outcome.ok).toBe(false);

    expect((await server.connectH2.check({ verificationId: started.id, code })).approved).toBe(true);
    await staying.waitFor(EventType.VERIFIED);
    expect(await staying.ended()).toEqual({ ok: true });
  });
});

describe("serving", () => {
  test("GET /healthz and /readyz answer 200 while serving", async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  test("grpc.health.v1.Health Check answers SERVING for the server and for VerificationService, over grpc-js", async () => {
    const health: GrpcJsClient = createGrpcJsClient(`127.0.0.1:${server.app.port}`, Health);
    try {
      for (const service of ["", "verify.v1.VerificationService"]) {
        const response = await health.unary(Health.method.check, { service });
        expect(response.status).toBe(ServingStatus.SERVING);
      }
    } finally {
      health.close();
    }
  });
});
