import { toJson } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  CheckResponseSchema,
  EventType,
  GetResponseSchema,
  ResendResponseSchema,
  StartResponseSchema,
  VerificationEventSchema,
  VerificationService,
  VerificationStatus,
} from "../../gen/verify/v1/verify_pb.js";
import { FakeClock } from "../support/clock.js";
import { eventually } from "../support/eventually.js";
import { expectConnectError, expectGrpcJsError } from "../support/expect-error.js";
import { codeFromBody, wrongCode } from "../support/outbox.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { WatchRecorder } from "../support/watch.js";
import { E2E_POLICY, E2E_SCENARIO, RESEND_MIN_INTERVAL_MS } from "./scenario.js";

describe("guessing", () => {
  // resend_min_interval passes when a test moves this clock, not while it waits.
  const clock = new FakeClock(Date.now());
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: E2E_SCENARIO, clock });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("each wrong code uses up one attempt, the last one locks the verification, and then even the right code is refused", async () => {
    const phoneNumber = "+12025550400";
    const { verification } = await server.connectH2.start({ phoneNumber });
    const id = verification!.id;
    const code = await server.codeSentTo(phoneNumber);
    const watch = WatchRecorder.connect(server.connectH2.watch({ verificationId: id }));
    await watch.waitFor(EventType.SNAPSHOT);
    expect(E2E_POLICY.max_check_attempts).toBe(3);

    const first = await server.connectH2.check({ verificationId: id, code: wrongCode(code) });
    expect(first.approved).toBe(false);
    expect(first.verification?.checkAttemptsRemaining).toBe(2);
    expect(first.verification?.status).not.toBe(VerificationStatus.LOCKED);

    // A wrong length is just as wrong.
    const second = await server.connectH2.check({ verificationId: id, code: "0000" });
    expect(second.approved).toBe(false);
    expect(second.verification?.checkAttemptsRemaining).toBe(1);

    const third = await server.connectH2.check({ verificationId: id, code: wrongCode(code) });
    expect(third.approved).toBe(false);
    expect(third.verification?.checkAttemptsRemaining).toBe(0);
    expect(third.verification?.status).toBe(VerificationStatus.LOCKED);

    const right = await server.connectH2.check({ verificationId: id, code });
    expect(right.approved).toBe(false);
    expect(right.verification?.status).toBe(VerificationStatus.LOCKED);

    expect(await watch.ended()).toEqual({ ok: true });
    expect(watch.types.filter((type) => type !== EventType.DELIVERED)).toEqual([
      EventType.SNAPSHOT,
      EventType.CHECK_FAILED,
      EventType.CHECK_FAILED,
      EventType.LOCKED,
    ]);
    await expectConnectError(server.connectH2.resend({ verificationId: id }), Code.FailedPrecondition, /locked/);
  });

  test("an approved code never approves again", async () => {
    const phoneNumber = "+12025550401";
    const { verification } = await server.connectH2.start({ phoneNumber });
    const id = verification!.id;
    const code = await server.codeSentTo(phoneNumber);
    expect((await server.connectH2.check({ verificationId: id, code })).approved).toBe(true);

    const again = await server.connectH2.check({ verificationId: id, code });
    expect(again.approved).toBe(false);
    expect(again.verification?.status).toBe(VerificationStatus.VERIFIED);
    const overGrpcJs = await server.grpcJs.unary(VerificationService.method.check, { verificationId: id, code });
    expect(overGrpcJs.approved).toBe(false);
  });

  test("of many concurrent Checks with the right code, exactly one is approved", async () => {
    const phoneNumber = "+12025550404";
    const { verification } = await server.connectH2.start({ phoneNumber });
    const code = await server.codeSentTo(phoneNumber);
    const clients = [server.connectH1, server.connectH2, server.grpc, server.grpcWeb, server.connectH2, server.grpc];
    const answers = await Promise.all(clients.map((client) => client.check({ verificationId: verification!.id, code })));
    expect(answers.filter((answer) => answer.approved)).toHaveLength(1);
    expect(answers.every((answer) => answer.verification?.status === VerificationStatus.VERIFIED)).toBe(true);
  });

  test("concurrent wrong Checks cannot get more tries than max_check_attempts", async () => {
    const phoneNumber = "+12025550405";
    const { verification } = await server.connectH2.start({ phoneNumber });
    const id = verification!.id;
    const code = await server.codeSentTo(phoneNumber);
    const wrong = wrongCode(code);
    const answers = await Promise.all(Array.from({ length: 8 }, () => server.connectH2.check({ verificationId: id, code: wrong })));
    expect(answers.every((answer) => !answer.approved)).toBe(true);
    const remaining = answers.map((answer) => answer.verification?.checkAttemptsRemaining).sort();
    expect(new Set(remaining)).toEqual(new Set([0, 1, 2]));

    const after = await server.connectH2.check({ verificationId: id, code });
    expect(after.approved).toBe(false);
    expect(after.verification?.status).toBe(VerificationStatus.LOCKED);
  });

  test("the code never appears in any API response", async () => {
    const phoneNumber = "+12025550402";
    // Ten digits: a chance match against ids or timestamps is out of the question.
    const started = await server.connectH2.start({ phoneNumber, codeLength: 10 });
    const id = started.verification!.id;
    const code = await server.codeSentTo(phoneNumber);
    expect(code).toHaveLength(10);

    const watch = WatchRecorder.connect(server.connectH2.watch({ verificationId: id }));
    await watch.waitFor(EventType.SNAPSHOT);
    const responses: Array<[string, unknown]> = [["Start", toJson(StartResponseSchema, started)]];
    responses.push(["Get", toJson(GetResponseSchema, await server.connectH2.get({ verificationId: id }))]);
    clock.advance(RESEND_MIN_INTERVAL_MS + 50); // past resend_min_interval
    responses.push(["Resend", toJson(ResendResponseSchema, await server.connectH2.resend({ verificationId: id }))]);
    responses.push(["Check (wrong)", toJson(CheckResponseSchema, await server.connectH2.check({ verificationId: id, code: wrongCode(code) }))]);
    responses.push(["Check (right)", toJson(CheckResponseSchema, await server.connectH2.check({ verificationId: id, code }))]);
    await watch.ended();
    for (const event of watch.events) responses.push([`Watch ${EventType[event.type]}`, toJson(VerificationEventSchema, event)]);

    const rawGet = await fetch(`${server.url}/verify.v1.VerificationService/Get`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ verificationId: id }),
    });
    responses.push(["Get (raw JSON)", await rawGet.json()]);

    expect(responses.length).toBeGreaterThanOrEqual(8);
    for (const [name, json] of responses) {
      expect(JSON.stringify(json), `${name} response`).not.toContain(code);
      expect(stringsIn(json), `${name} response`).not.toContain(code);
    }
  });

  test("Resend sooner than resend_min_interval is refused with RESOURCE_EXHAUSTED and says when to retry", async () => {
    const phoneNumber = "+12025550403";
    const { verification } = await server.connectH2.start({ phoneNumber });
    await server.waitForOutbox(phoneNumber, 1);
    const error = await expectConnectError(server.connectH2.resend({ verificationId: verification!.id }), Code.ResourceExhausted, /a resend is allowed/);
    expect(Number(error.metadata.get("retry-after-ms"))).toBeGreaterThan(0);
    expect(Number(error.metadata.get("retry-after-ms"))).toBeLessThanOrEqual(200);
    expect(await server.outbox(phoneNumber)).toHaveLength(1);

    clock.advance(RESEND_MIN_INTERVAL_MS + 50);
    await server.connectH2.resend({ verificationId: verification!.id });
    expect(await server.waitForOutbox(phoneNumber, 2)).toHaveLength(2);
  });
});

describe("expiry", () => {
  // code_ttl runs out when a test moves this clock, not while it waits.
  const CODE_TTL_MS = 800;
  const clock = new FakeClock(Date.now());
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: [E2E_SCENARIO, { policy: { code_ttl: `${CODE_TTL_MS}ms`, delivery_window: "10s" } }], clock });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("after code_ttl the verification expires: Watch gets EXPIRED and ends, and the right code no longer approves", async () => {
    const phoneNumber = "+12025550410";
    const { verification } = await server.connectH2.start({ phoneNumber });
    const id = verification!.id;
    const code = await server.codeSentTo(phoneNumber);
    const watch = WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId: id }));
    await watch.waitFor(EventType.SNAPSHOT);

    clock.advance(CODE_TTL_MS);
    const expired = await watch.waitFor(EventType.EXPIRED, 3000);
    expect(expired.verification?.status).toBe(VerificationStatus.EXPIRED);
    expect(await watch.ended()).toEqual({ ok: true });

    const checked = await server.connectH2.check({ verificationId: id, code });
    expect(checked.approved).toBe(false);
    expect(checked.verification?.status).toBe(VerificationStatus.EXPIRED);
    await expectConnectError(server.connectH2.resend({ verificationId: id }), Code.FailedPrecondition, /expired/);
  });

  test("a Check that arrives after code_ttl is refused even with the right code", async () => {
    const phoneNumber = "+12025550411";
    const { verification } = await server.connectH2.start({ phoneNumber });
    const code = await server.codeSentTo(phoneNumber);
    clock.advance(CODE_TTL_MS + 50);
    const checked = await server.grpcJs.unary(VerificationService.method.check, { verificationId: verification!.id, code });
    expect(checked.approved).toBe(false);
    expect(checked.verification?.status).toBe(VerificationStatus.EXPIRED);
  });

  test("after expiry a new Start on the number creates a new verification whose code approves", async () => {
    const phoneNumber = "+12025550412";
    const first = await server.connectH2.start({ phoneNumber });
    clock.advance(CODE_TTL_MS);
    await eventually(
      async () => {
        expect((await server.connectH2.get({ verificationId: first.verification!.id })).verification?.status).toBe(VerificationStatus.EXPIRED);
      },
      { timeoutMs: 3000 },
    );
    const second = await server.connectH2.start({ phoneNumber });
    expect(second.verification!.id).not.toBe(first.verification!.id);
    expect(second.verification!.status).toBe(VerificationStatus.SUBMITTED);
    const messages = await server.waitForOutbox(phoneNumber, 2);
    expect((await server.connectH2.check({ verificationId: second.verification!.id, code: codeFromBody(messages[1]!.body) })).approved).toBe(true);
  });
});

describe("rate limits", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      config: [E2E_SCENARIO, { rate_limits: { per_phone: { limit: 2 }, per_ip: { limit: 3 }, check_per_ip: { limit: 2 } } }],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  test("Starts for one phone number beyond per_phone are RESOURCE_EXHAUSTED, and send nothing", async () => {
    const phoneNumber = "+12025550500";
    await server.connectH2.start({ phoneNumber });
    await server.connectH2.start({ phoneNumber });
    await server.waitForOutbox(phoneNumber, 1);
    const sent = await server.outbox(phoneNumber);

    const error = await expectConnectError(server.connectH2.start({ phoneNumber }), Code.ResourceExhausted, /too many requests for this phone number/);
    expect(Number(error.metadata.get("retry-after-ms"))).toBeGreaterThan(0);
    await expectGrpcJsError(server.grpcJs.unary(VerificationService.method.start, { phoneNumber }), grpc.status.RESOURCE_EXHAUSTED);
    expect(await server.outbox(phoneNumber)).toEqual(sent);

    // Other numbers are not affected.
    await server.connectH2.start({ phoneNumber: "+12025550501" });
  });

  test("Starts from one client IP beyond per_ip are RESOURCE_EXHAUSTED, create nothing, and other IPs go on", async () => {
    const clientIp = "203.0.113.7";
    for (const phoneNumber of ["+12025550510", "+12025550511", "+12025550512"]) await server.connectH2.start({ phoneNumber, clientIp });
    const stored = server.storedCount();

    await expectConnectError(server.connectH2.start({ phoneNumber: "+12025550513", clientIp }), Code.ResourceExhausted, /too many requests for this client IP/);
    expect(server.storedCount()).toBe(stored);
    expect(await server.outbox("+12025550513")).toEqual([]);

    // The refused call took nothing from the number's own allowance: two Starts still fit.
    await server.connectH2.start({ phoneNumber: "+12025550513", clientIp: "2001:db8::1" });
    await server.connectH2.start({ phoneNumber: "+12025550513", clientIp: "2001:db8::1" });
    expect(server.storedCount()).toBe(stored + 1);
  });

  test("Checks from one client IP beyond check_per_ip are RESOURCE_EXHAUSTED and use up no attempt", async () => {
    const phoneNumber = "+12025550520";
    // Its own client IP: a Start without one now counts against the peer (127.0.0.1), whose budget earlier tests used.
    const { verification } = await server.connectH2.start({ phoneNumber, clientIp: "198.51.100.20" });
    const id = verification!.id;
    const code = await server.codeSentTo(phoneNumber);
    const clientIp = "198.51.100.9";
    await server.connectH2.check({ verificationId: id, code: wrongCode(code), clientIp });
    await server.connectH2.check({ verificationId: id, code: wrongCode(code), clientIp });
    await expectConnectError(server.connectH2.check({ verificationId: id, code, clientIp }), Code.ResourceExhausted, /this client IP/);

    const got = await server.connectH2.get({ verificationId: id });
    expect(got.verification?.checkAttemptsRemaining).toBe(1);
    expect((await server.connectH2.check({ verificationId: id, code, clientIp: "198.51.100.10" })).approved).toBe(true);
  });
});

/** Every string anywhere in a JSON value. */
function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

describe("client addresses", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      config: [E2E_SCENARIO, { rate_limits: { per_ip: { limit: 2 } }, server: { trusted_proxies: ["127.0.0.1/32"] } }],
    });
  });
  afterAll(() => server.close());

  test("every spelling of one IPv6 address, and an IPv4-mapped address, share one per-IP budget", async () => {
    await server.connectH2.start({ phoneNumber: "+12025550530", clientIp: "2001:db8::1" });
    await server.connectH2.start({ phoneNumber: "+12025550531", clientIp: "2001:DB8:0:0:0:0:0:1" });
    await expectConnectError(server.connectH2.start({ phoneNumber: "+12025550532", clientIp: "2001:db8::ffff" }), Code.ResourceExhausted, /client IP/);
    await server.connectH2.start({ phoneNumber: "+12025550533", clientIp: "192.0.2.1" });
    await server.connectH2.start({ phoneNumber: "+12025550534", clientIp: "::ffff:192.0.2.1" });
    await expectConnectError(server.connectH2.start({ phoneNumber: "+12025550535", clientIp: "192.0.2.1" }), Code.ResourceExhausted);
  });

  test("a client_ip with a zone id is INVALID_ARGUMENT and creates nothing", async () => {
    const stored = server.storedCount();
    await expectConnectError(server.connectH2.start({ phoneNumber: "+12025550536", clientIp: "2001:db8::1%a" }), Code.InvalidArgument, /zone id/);
    expect(server.storedCount()).toBe(stored);
  });

  test("without client_ip, a trusted proxy's X-Forwarded-For is the client address", async () => {
    const headers = { "x-forwarded-for": "203.0.113.7" };
    await server.connectH2.start({ phoneNumber: "+12025550537" }, { headers });
    await server.connectH2.start({ phoneNumber: "+12025550538" }, { headers });
    await expectConnectError(server.connectH2.start({ phoneNumber: "+12025550539" }, { headers }), Code.ResourceExhausted, /client IP/);
    // Another forwarded client still has its budget.
    await server.connectH2.start({ phoneNumber: "+12025550540" }, { headers: { "x-forwarded-for": "203.0.113.8" } });
  });
});
