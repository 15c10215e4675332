import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { type Channel, VerificationService, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { expectConnectError, expectGrpcJsError } from "../support/expect-error.js";
import { createGrpcJsClient } from "../support/grpc-js.js";
import type { OutboxMessage } from "../support/outbox.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { WatchRecorder } from "../support/watch.js";
import { E2E_POLICY, E2E_SCENARIO } from "./scenario.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: E2E_SCENARIO });
});

afterAll(async () => {
  await server?.close();
});

/** A bad request must change nothing: no verification created, no message sent. */
let before: { stored: number; sent: OutboxMessage[] };
beforeEach(async () => {
  before = { stored: server.storedCount(), sent: await server.outbox() };
});

async function expectNothingChanged(): Promise<void> {
  expect(server.storedCount(), "verifications stored").toBe(before.stored);
  expect(await server.outbox(), "messages sent").toEqual(before.sent);
}

/** A live verification to aim bad requests at, created before the snapshot of "nothing changed". */
async function startVerification(phoneNumber: string): Promise<string> {
  const { verification } = await server.connectH2.start({ phoneNumber });
  await server.waitForOutbox(phoneNumber, 1);
  before = { stored: server.storedCount(), sent: await server.outbox() };
  return verification!.id;
}

const UNKNOWN_ID = "ver_AAAAAAAAAAAAAAAAAAAA";

describe("Start refuses bad input with INVALID_ARGUMENT", () => {
  test("an unparseable phone number", async () => {
    await expectConnectError(server.connectH2.start({ phoneNumber: "call me maybe" }), Code.InvalidArgument, /phone_number .* cannot be parsed/);
    await expectNothingChanged();
  });

  test("a number that parses but is not a valid number", async () => {
    await expectConnectError(server.connectH2.start({ phoneNumber: "+1202555" }), Code.InvalidArgument, /phone_number "\+1202555" is not a valid number/);
    await expectNothingChanged();
  });

  test("an empty phone number", async () => {
    await expectConnectError(server.connectH2.start({ phoneNumber: "" }), Code.InvalidArgument, /phone_number is required/);
    await expectNothingChanged();
  });

  test("a national number without default_country, with a hint to add one", async () => {
    await expectConnectError(server.connectH2.start({ phoneNumber: "2025550310" }), Code.InvalidArgument, /default_country/);
    await expectNothingChanged();
  });

  test("a default_country that is not an ISO alpha-2 code", async () => {
    await expectConnectError(
      server.connectH2.start({ phoneNumber: "2025550311", defaultCountry: "USA" }),
      Code.InvalidArgument,
      /default_country must be an ISO 3166-1 alpha-2 code/,
    );
    await expectNothingChanged();
  });

  test.each([3, 11])("code_length %i, outside 4 to 10", async (codeLength) => {
    await expectConnectError(
      server.connectH2.start({ phoneNumber: "+12025550312", codeLength }),
      Code.InvalidArgument,
      new RegExp(`code_length must be 0 \\(default\\) or 4 to 10, got ${codeLength}`),
    );
    await expectNothingChanged();
  });

  test("metadata with more than 16 entries", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    await expectConnectError(server.connectH2.start({ phoneNumber: "+12025550313", metadata }), Code.InvalidArgument, /metadata has 17 entries; at most 16/);
    await expectNothingChanged();
  });

  test("metadata larger than 2 KiB in total", async () => {
    const metadata = { a: "x".repeat(1100), b: "y".repeat(1000) };
    await expectConnectError(server.connectH2.start({ phoneNumber: "+12025550314", metadata }), Code.InvalidArgument, /metadata is 2102 bytes; at most 2048/);
    await expectNothingChanged();
  });

  test("metadata of exactly 16 entries and 2 KiB is accepted", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${String(i).padStart(2, "0")}`, "v".repeat(125)]));
    // 16 × (3 + 125) = 2048 bytes.
    const { verification } = await server.connectH2.start({ phoneNumber: "+12025550315", metadata });
    expect(verification?.metadata).toEqual(metadata);
  });

  test("a client_ip that is not an IP address", async () => {
    await expectConnectError(
      server.connectH2.start({ phoneNumber: "+12025550316", clientIp: "10.0.0.300" }),
      Code.InvalidArgument,
      /client_ip "10\.0\.0\.300" is not an IPv4 or IPv6 address/,
    );
    await expectNothingChanged();
  });

  test("a channel value the enum does not define", async () => {
    await expectConnectError(
      server.connectH2.start({ phoneNumber: "+12025550317", channel: 99 as Channel }),
      Code.InvalidArgument,
      /channel 99 is not a known channel/,
    );
    await expectNothingChanged();
  });

  test("an idempotency key reused with different parameters", async () => {
    const phoneNumber = "+12025550318";
    const { verification } = await server.connectH2.start({ phoneNumber, idempotencyKey: "key-0318" });
    await server.waitForOutbox(phoneNumber, 1);
    before = { stored: server.storedCount(), sent: await server.outbox() };

    await expectConnectError(
      server.connectH2.start({ phoneNumber: "+12025550319", idempotencyKey: "key-0318" }),
      Code.InvalidArgument,
      /idempotency_key was already used with different parameters/,
    );
    await expectConnectError(
      server.connectH2.start({ phoneNumber, idempotencyKey: "key-0318", codeLength: 8 }),
      Code.InvalidArgument,
      /idempotency_key was already used with different parameters/,
    );
    await expectNothingChanged();
    const got = await server.connectH2.get({ verificationId: verification!.id });
    expect(got.verification?.attempts).toHaveLength(1);
  });

  test("over plain JSON on HTTP/1.1, a bad number is HTTP 400 with code invalid_argument", async () => {
    const response = await fetch(`${server.url}/verify.v1.VerificationService/Start`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ phoneNumber: "not a number" }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/cannot be parsed/);
    await expectNothingChanged();
  });

  test("over grpc-js, a bad number is status INVALID_ARGUMENT with the reason in details", async () => {
    await expectGrpcJsError(
      server.grpcJs.unary(VerificationService.method.start, { phoneNumber: "+1202555" }),
      grpc.status.INVALID_ARGUMENT,
      /is not a valid number/,
    );
    await expectNothingChanged();
  });
});

describe("Check refuses a malformed code with INVALID_ARGUMENT, without using up an attempt", () => {
  test.each([
    ["letters in it", "12a4"],
    ["empty", ""],
    ["too short", "123"],
    ["too long", "12345678901"],
  ])("a code that is %s", async (_, code) => {
    const id = await startVerification(`+1202555032${code.length % 10}`);
    await expectConnectError(server.connectH2.check({ verificationId: id, code }), Code.InvalidArgument, /code must be 4 to 10 digits/);
    const got = await server.connectH2.get({ verificationId: id });
    expect(got.verification?.checkAttemptsRemaining).toBe(E2E_POLICY.max_check_attempts);
    expect(got.verification?.status).not.toBe(VerificationStatus.LOCKED);
    await expectNothingChanged();
    await server.connectH2.cancel({ verificationId: id });
  });

  test("a client_ip that is not an IP address", async () => {
    const id = await startVerification("+12025550329");
    await expectConnectError(
      server.connectH2.check({ verificationId: id, code: "123456", clientIp: "localhost" }),
      Code.InvalidArgument,
      /client_ip "localhost" is not an IPv4 or IPv6 address/,
    );
    const got = await server.connectH2.get({ verificationId: id });
    expect(got.verification?.checkAttemptsRemaining).toBe(E2E_POLICY.max_check_attempts);
  });
});

describe("an unknown verification id is NOT_FOUND", () => {
  test("for Check, Get, Resend and Cancel over Connect", async () => {
    const notFound = new RegExp(`verification ${UNKNOWN_ID} not found`);
    await expectConnectError(server.connectH2.check({ verificationId: UNKNOWN_ID, code: "123456" }), Code.NotFound, notFound);
    await expectConnectError(server.connectH2.get({ verificationId: UNKNOWN_ID }), Code.NotFound, notFound);
    await expectConnectError(server.connectH2.resend({ verificationId: UNKNOWN_ID }), Code.NotFound, notFound);
    await expectConnectError(server.connectH2.cancel({ verificationId: UNKNOWN_ID }), Code.NotFound, notFound);
    await expectNothingChanged();
  });

  test("for Check, Get, Resend and Cancel over grpc-js", async () => {
    const { grpcJs } = server;
    const method = VerificationService.method;
    await expectGrpcJsError(grpcJs.unary(method.check, { verificationId: UNKNOWN_ID, code: "123456" }), grpc.status.NOT_FOUND);
    await expectGrpcJsError(grpcJs.unary(method.get, { verificationId: UNKNOWN_ID }), grpc.status.NOT_FOUND);
    await expectGrpcJsError(grpcJs.unary(method.resend, { verificationId: UNKNOWN_ID }), grpc.status.NOT_FOUND);
    await expectGrpcJsError(grpcJs.unary(method.cancel, { verificationId: UNKNOWN_ID }), grpc.status.NOT_FOUND);
    await expectNothingChanged();
  });

  test("for Watch over Connect and over grpc-js, before any message", async () => {
    const overConnect = WatchRecorder.connect(server.connectH2.watch({ verificationId: UNKNOWN_ID }));
    const overGrpcJs = WatchRecorder.grpcJs(server.grpcJs.serverStream(VerificationService.method.watch, { verificationId: UNKNOWN_ID }));
    const connectOutcome = await overConnect.ended();
    const grpcJsOutcome = await overGrpcJs.ended();
    expect(overConnect.events).toEqual([]);
    expect(overGrpcJs.events).toEqual([]);
    await expectConnectError(Promise.reject(connectOutcome.ok ? new Error("watch ended OK") : connectOutcome.error), Code.NotFound);
    await expectGrpcJsError(Promise.reject(grpcJsOutcome.ok ? new Error("watch ended OK") : grpcJsOutcome.error), grpc.status.NOT_FOUND);
  });

  test("an empty or malformed id is INVALID_ARGUMENT rather than NOT_FOUND", async () => {
    await expectConnectError(server.connectH2.get({ verificationId: "" }), Code.InvalidArgument, /verification_id is required/);
    await expectConnectError(server.connectH2.get({ verificationId: "../../etc/passwd" }), Code.InvalidArgument, /verification_id is malformed/);
  });
});

describe("Resend and Cancel on a finished verification are FAILED_PRECONDITION", () => {
  test("after it was verified", async () => {
    const phoneNumber = "+12025550330";
    const id = await startVerification(phoneNumber);
    const code = await server.codeSentTo(phoneNumber);
    expect((await server.connectH2.check({ verificationId: id, code })).approved).toBe(true);
    before = { stored: server.storedCount(), sent: await server.outbox() };

    await expectConnectError(server.connectH2.resend({ verificationId: id }), Code.FailedPrecondition, /verification is verified/);
    await expectConnectError(server.connectH2.cancel({ verificationId: id }), Code.FailedPrecondition, /already verified/);
    const got = await server.connectH2.get({ verificationId: id });
    expect(got.verification?.status).toBe(VerificationStatus.VERIFIED);
    await expectNothingChanged();
  });

  test("after it was canceled", async () => {
    const id = await startVerification("+12025550331");
    await server.connectH2.cancel({ verificationId: id });
    await expectConnectError(server.connectH2.resend({ verificationId: id }), Code.FailedPrecondition, /canceled/);
    await expectConnectError(server.connectH2.cancel({ verificationId: id }), Code.FailedPrecondition, /already canceled/);
    await expectGrpcJsError(server.grpcJs.unary(VerificationService.method.cancel, { verificationId: id }), grpc.status.FAILED_PRECONDITION);
    await expectNothingChanged();
  });
});

test("grpc.health.v1.Health Check for a service this server does not serve is NOT_FOUND", async () => {
  const health = createGrpcJsClient(`127.0.0.1:${server.app.port}`, Health);
  try {
    await expectGrpcJsError(health.unary(Health.method.check, { service: "no.such.Service" }), grpc.status.NOT_FOUND, /unknown service/);
  } finally {
    health.close();
  }
});

test("an unknown route on the port is a 404 with a JSON body", async () => {
  const response = await fetch(`${server.url}/no/such/route`);
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual({ error: "no route for GET /no/such/route" });
});

test("an RPC to a method not served is an empty 404, which every protocol's client reads as UNIMPLEMENTED", async () => {
  const rpcs: Record<string, string>[] = [
    { "content-type": "application/grpc", te: "trailers" },
    { "content-type": "application/grpc-web+proto" },
    { "content-type": "application/connect+json" },
    { "content-type": "application/json", "connect-protocol-version": "1" },
  ];
  for (const headers of rpcs) {
    const response = await fetch(`${server.url}/verify.v1.VerificationService/NoSuchMethod`, { method: "POST", headers, body: "{}" });
    expect(response.status, headers["content-type"]).toBe(404);
    expect(await response.text(), headers["content-type"]).toBe("");
  }
});
