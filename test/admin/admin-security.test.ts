import { type Client, Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { Channel } from "../../gen/verify/v1/verify_pb.js";
import { expectConnectError, expectGrpcJsError } from "../support/expect-error.js";
import { createGrpcJsClient } from "../support/grpc-js.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { ADMIN_SCENARIO, ADMIN_TOKEN, bearer } from "./scenario.js";

let guarded: TestServer;
let admin: Client<typeof AdminService>;
beforeAll(async () => {
  guarded = await startTestServer({ config: [ADMIN_SCENARIO, { admin: { token: ADMIN_TOKEN } }] });
  admin = guarded.client(AdminService);
});
afterAll(async () => {
  await guarded?.close();
});

type Headers = { headers: Record<string, string> };

/** The first message of a WatchProviders stream, leaving it at once. */
async function firstWatched(client: Client<typeof AdminService>, headers?: Headers) {
  for await (const message of client.watchProviders({}, headers)) return message;
  throw new Error("WatchProviders ended without a message");
}

const calls = {
  ListProviders: (headers?: Headers) => admin.listProviders({}, headers),
  ExplainRoute: (headers?: Headers) => admin.explainRoute({ phoneNumber: "+4915123456789", channel: Channel.SMS }, headers),
  ListVerifications: (headers?: Headers) => admin.listVerifications({}, headers),
  WatchProviders: (headers?: Headers) => firstWatched(admin, headers),
};

describe("admin RPCs with admin.token configured", () => {
  test.each(Object.keys(calls) as Array<keyof typeof calls>)("%s without an authorization header is UNAUTHENTICATED", async (name) => {
    await expectConnectError(calls[name](), Code.Unauthenticated, /Bearer/);
  });

  test.each(Object.keys(calls) as Array<keyof typeof calls>)("%s with the wrong token is PERMISSION_DENIED", async (name) => {
    await expectConnectError(calls[name](bearer("not-the-admin-token-0123456789")), Code.PermissionDenied);
  });

  test("a token that is a prefix of the right one is PERMISSION_DENIED", async () => {
    await expectConnectError(calls.ListProviders(bearer(ADMIN_TOKEN.slice(0, -1))), Code.PermissionDenied);
  });

  test("an authorization header that is not a bearer token is UNAUTHENTICATED", async () => {
    await expectConnectError(calls.ListProviders({ headers: { authorization: `Basic ${ADMIN_TOKEN}` } }), Code.Unauthenticated);
  });

  test.each(Object.keys(calls) as Array<keyof typeof calls>)("%s with the right bearer token succeeds", async (name) => {
    await expect(calls[name](bearer(ADMIN_TOKEN))).resolves.toBeDefined();
  });

  // A server stream is refused before its handler runs: no message is sent to a caller without the token, over any protocol.
  test.each(["connectH2", "grpc", "grpcWeb"] as const)("WatchProviders over %s sends nothing without the token, and streams with it", async (protocol) => {
    const client = guarded.client(AdminService, protocol);
    await expectConnectError(firstWatched(client), Code.Unauthenticated, /Bearer/);
    await expectConnectError(firstWatched(client, bearer("not-the-admin-token-0123456789")), Code.PermissionDenied);
    expect((await firstWatched(client, bearer(ADMIN_TOKEN))).providers.map((provider) => provider.name)).toEqual(["sim-a", "sim-b", "sim-flaky"]);
  });

  test("WatchProviders through grpc-js without the token ends UNAUTHENTICATED with no message", async () => {
    const grpcJs = createGrpcJsClient(`127.0.0.1:${guarded.app.port}`, AdminService);
    try {
      const call = grpcJs.serverStream(AdminService.method.watchProviders, {});
      const received: unknown[] = [];
      call.on("data", (message: unknown) => received.push(message));
      await expectGrpcJsError(new Promise((resolve, reject) => call.on("error", reject).on("end", resolve)), grpc.status.UNAUTHENTICATED);
      expect(received).toEqual([]);
    } finally {
      grpcJs.close();
    }
  });

  test("ListVerifications with the token lists the verification service's verifications, numbers masked", async () => {
    const { verification } = await guarded.connectH1.start({ phoneNumber: "+12025550151" });
    const { verifications } = await admin.listVerifications({}, bearer(ADMIN_TOKEN));
    expect(verifications.find((listed) => listed.id === verification!.id)?.phoneNumber).toBe("+120******51");
  });

  test("the verification service stays open without any token", async () => {
    const { verification } = await guarded.connectH1.start({ phoneNumber: "+12025550150" });
    expect(verification?.attempts.map((a) => a.provider)).toEqual(["sim-a"]);
    const { verification: read } = await guarded.connectH1.get({ verificationId: verification!.id });
    expect(read?.id).toBe(verification!.id);
  });

  test("ExplainRoute with an unparseable phone number is INVALID_ARGUMENT", async () => {
    await expectConnectError(admin.explainRoute({ phoneNumber: "call me maybe", channel: Channel.SMS }, bearer(ADMIN_TOKEN)), Code.InvalidArgument, /phone_number/);
  });

  test("ExplainRoute with an unknown channel is INVALID_ARGUMENT", async () => {
    await expectConnectError(admin.explainRoute({ phoneNumber: "+4915123456789", channel: 99 as Channel }, bearer(ADMIN_TOKEN)), Code.InvalidArgument, /channel/);
  });
});

describe("admin RPCs without admin.token", () => {
  test("need no authorization header", async () => {
    const open = await startTestServer({ config: ADMIN_SCENARIO });
    try {
      const { providers } = await open.client(AdminService).listProviders({});
      expect(providers.map((p) => p.name)).toEqual(["sim-a", "sim-b", "sim-flaky"]);
    } finally {
      await open.close();
    }
  });
});
