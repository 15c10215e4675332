import { type Client, Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { Channel } from "../../gen/verify/v1/verify_pb.js";
import { expectConnectError } from "../support/expect-error.js";
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

const calls = {
  ListProviders: (headers?: { headers: Record<string, string> }) => admin.listProviders({}, headers),
  ExplainRoute: (headers?: { headers: Record<string, string> }) => admin.explainRoute({ phoneNumber: "+4915123456789", channel: Channel.SMS }, headers),
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
