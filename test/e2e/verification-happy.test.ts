import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { AttemptStatus, Channel, VerificationService, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { FakeClock } from "../support/clock.js";
import { createGrpcJsClient, type GrpcJsClient } from "../support/grpc-js.js";
import { codeFromBody } from "../support/outbox.js";
import { startTestServer, type TestServer, type VerificationClient } from "../support/server.js";
import { ms, requireVerification } from "./responses.js";
import { E2E_POLICY, E2E_SCENARIO, RESEND_MIN_INTERVAL_MS } from "./scenario.js";

// resend_min_interval passes when a test moves this clock, not while it waits.
const clock = new FakeClock(Date.now());
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: E2E_SCENARIO, clock });
});

afterAll(async () => {
  await server?.close();
});

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
    expect(code).toHaveLength(E2E_POLICY.code_length);
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
    const started = requireVerification((await server.connectH2.start({ phoneNumber, locale: "de-DE", metadata: { order: "o-17", user: "u-9" } })).verification);
    const got = requireVerification((await server.connectH1.get({ verificationId: started.id })).verification);
    expect(got.id).toBe(started.id);
    expect(got.phoneNumber).toBe(phoneNumber);
    expect(got.country).toBe("US");
    expect(got.channel).toBe(Channel.SMS);
    expect(got.locale).toBe("de-DE");
    expect(got.codeLength).toBe(E2E_POLICY.code_length);
    expect(got.metadata).toEqual({ order: "o-17", user: "u-9" });
    expect(got.checkAttemptsRemaining).toBe(E2E_POLICY.max_check_attempts);
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
      ["+12025550205", 0, E2E_POLICY.code_length],
    ] as const) {
      const started = requireVerification((await server.connectH2.start({ phoneNumber, codeLength })).verification);
      expect(started.codeLength).toBe(expected);
      const code = await server.codeSentTo(phoneNumber);
      expect(code).toHaveLength(expected);
      expect((await server.connectH2.check({ verificationId: started.id, code })).approved).toBe(true);
    }
  });
});

describe("one verification per number, and idempotency", () => {
  test("Start with the same idempotency key and parameters returns the same verification and sends nothing more", async () => {
    const phoneNumber = "+12025550107";
    const request = { phoneNumber, idempotencyKey: "signup-0107", metadata: { user: "u-107" } };
    const first = requireVerification((await server.connectH2.start(request)).verification);
    await server.waitForOutbox(phoneNumber, 1);
    // Past resend_min_interval, a Start that was not a replay would send the code again.
    clock.advance(RESEND_MIN_INTERVAL_MS + 50);
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

    clock.advance(RESEND_MIN_INTERVAL_MS + 50);
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
    clock.advance(RESEND_MIN_INTERVAL_MS + 50); // past resend_min_interval
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
