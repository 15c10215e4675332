/**
 * The memory store's bound seen from outside: a verifyd whose store holds
 * `max_records` verifications, all in progress, refuses a new Start with
 * RESOURCE_EXHAUSTED over every protocol, still answers what does not grow
 * the store, and takes Starts again once a verification finishes (the
 * finished one is dropped to make room).
 */
import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerificationService, VerificationStatus } from "../../../gen/verify/v1/verify_pb.js";
import type { MemoryStore } from "../../../src/store/memory/memory-store.js";
import { expectConnectError, expectGrpcJsError } from "../../support/expect-error.js";
import { startTestServer, type TestServer } from "../../support/server.js";

const MAX_RECORDS = 3;
const IN_PROGRESS = ["+12025550171", "+12025550172", "+12025550173"];
const NEW_NUMBER = "+12025550174";

describe("a memory store full of verifications in progress", () => {
  let server: TestServer;
  const ids: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ config: { store: { type: "memory", max_records: MAX_RECORDS } } });
    for (const phoneNumber of IN_PROGRESS) ids.push((await server.connectH1.start({ phoneNumber })).verification!.id);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers a Start for a new number with RESOURCE_EXHAUSTED over Connect, gRPC and gRPC-Web", async () => {
    for (const client of [server.connectH1, server.connectH2, server.grpc, server.grpcWeb]) {
      await expectConnectError(client.start({ phoneNumber: NEW_NUMBER }), Code.ResourceExhausted, /store\.max_records/);
    }
    await expectGrpcJsError(server.grpcJs.unary(VerificationService.method.start, { phoneNumber: NEW_NUMBER }), grpc.status.RESOURCE_EXHAUSTED);
    expect(server.storedCount()).toBe(MAX_RECORDS);
  });

  it("still answers a Start for a number already in progress, with its verification", async () => {
    const { verification } = await server.grpc.start({ phoneNumber: IN_PROGRESS[0]! });

    expect(verification?.id).toBe(ids[0]);
  });

  it("takes a new Start once a verification finishes, dropping the finished one and counting it", async () => {
    const code = await server.codeSentTo(IN_PROGRESS[1]!);
    expect((await server.connectH1.check({ verificationId: ids[1]!, code })).approved).toBe(true);

    const { verification } = await server.grpc.start({ phoneNumber: NEW_NUMBER });

    expect(verification?.status).toBe(VerificationStatus.SUBMITTED);
    expect(server.storedCount()).toBe(MAX_RECORDS);
    expect((server.app.store as MemoryStore).evicted).toBe(1);
    await expectConnectError(server.connectH1.get({ verificationId: ids[1]! }), Code.NotFound);
  });
});
