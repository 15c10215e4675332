/**
 * The fraud guard's admin RPCs (verify.admin.v1.AdminService, same token):
 * ExplainRisk says what each guard would decide now and why, changing
 * nothing; ListBlocks and Unblock are covered with the conversion guard
 * (e2e-conversion.test.ts); here their errors and the token.
 */
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService, BlockScope, FraudMode, GuardDecision } from "../../gen/verify/admin/v1/admin_pb.js";
import { Channel } from "../../gen/verify/v1/verify_pb.js";
import { expectConnectError } from "../support/expect-error.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { ADMIN_TOKEN, FRAUD_SCENARIO, fraudLayer, numbersIn, providerCalls, startMany } from "./scenario.js";

let server: TestServer;
const auth = { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } };

beforeAll(async () => {
  server = await startTestServer({
    config: [
      FRAUD_SCENARIO,
      fraudLayer({ geo: { sms: { deny: ["FR"] } }, prefix_velocity: { limit: 3 }, allow_numbers: ["+1303555*"] }),
      { admin: { token: ADMIN_TOKEN } },
    ],
  });
});
afterAll(async () => server?.close());

describe("AdminService.ExplainRisk", () => {
  test("gives every guard's verdict with its figures and a sentence, and counts nothing", async () => {
    const admin = server.client(AdminService);
    await startMany(server, numbersIn("+1202555"), 2);
    const explained = await admin.explainRisk({ phoneNumber: "+12025550100", clientIp: "2001:DB8::1" }, auth);
    expect(explained).toMatchObject({ phoneNumber: "+12025550100", country: "US", channel: Channel.SMS, mode: FraudMode.ENFORCE, allowed: true });
    expect(explained).toMatchObject({ numberType: "FIXED_LINE_OR_MOBILE", prefix: "+1202555", allowListed: false, testNumber: false, clientIp: "2001:DB8::1" });
    expect(explained.verdicts.map((verdict) => [verdict.guard, verdict.decision])).toEqual([
      ["geo", GuardDecision.ALLOW],
      ["number_types", GuardDecision.ALLOW],
      ["prefix_velocity", GuardDecision.ALLOW],
      ["conversion_guard", GuardDecision.ALLOW],
      ["conversion_guard", GuardDecision.ALLOW],
    ]);
    const velocity = explained.verdicts[2]!;
    expect(velocity.figures).toMatchObject({ prefix: "+1202555", sends: "2", limit: "3" });
    expect(velocity.explanation).toBe("prefix_velocity: 2 of 3 sends to +1202555 in the last 10m");
    // Asked twice: nothing was counted, the third send still goes.
    await admin.explainRisk({ phoneNumber: "+12025550100" }, auth);
    await server.connectH1.start({ phoneNumber: "+12025550102" });
    const full = await admin.explainRisk({ phoneNumber: "+12025550100" }, auth);
    expect(full.allowed).toBe(false);
    expect(full.verdicts[2]).toMatchObject({ decision: GuardDecision.BLOCK, reason: "prefix_velocity" });
  });

  test("names the channels still allowed when only the asked one is refused, and an allow-listed number", async () => {
    const admin = server.client(AdminService);
    const france = await admin.explainRisk({ phoneNumber: "+33612345678", channel: Channel.SMS }, auth);
    expect(france.allowed).toBe(false);
    expect(france.verdicts[0]).toMatchObject({
      guard: "geo",
      decision: GuardDecision.BLOCK,
      reason: "geo_blocked",
      explanation: "geo: FR is not allowed for sms (deny list)",
    });
    expect(france.allowedChannels).toEqual([Channel.VOICE]);
    const listed = await admin.explainRisk({ phoneNumber: "+13035550100" }, auth);
    expect([listed.allowed, listed.allowListed, listed.verdicts]).toEqual([true, true, []]);
    expect(providerCalls(server)).toBe(3);
  });

  test("refuses a number that cannot be parsed and an invalid client_ip", async () => {
    const admin = server.client(AdminService);
    await expectConnectError(admin.explainRisk({ phoneNumber: "12345" }, auth), Code.InvalidArgument, /phone_number/);
    await expectConnectError(admin.explainRisk({ phoneNumber: "+12025550100", clientIp: "not-an-ip" }, auth), Code.InvalidArgument);
  });
});

describe("AdminService.ListBlocks and Unblock", () => {
  test("list nothing while nothing is blocked; Unblock of an unknown scope is NOT_FOUND, of no scope INVALID_ARGUMENT", async () => {
    const admin = server.client(AdminService);
    expect((await admin.listBlocks({}, auth)).blocks).toEqual([]);
    await expectConnectError(admin.unblock({ scope: BlockScope.COUNTRY, key: "US" }, auth), Code.NotFound, /no country block on US/);
    await expectConnectError(admin.unblock({ scope: BlockScope.UNSPECIFIED, key: "US" }, auth), Code.InvalidArgument, /scope/);
    await expectConnectError(admin.unblock({ scope: BlockScope.PREFIX, key: " " }, auth), Code.InvalidArgument, /key is required/);
  });

  test("need the admin token, like every admin RPC", async () => {
    const admin = server.client(AdminService);
    await expectConnectError(admin.listBlocks({}), Code.Unauthenticated);
    await expectConnectError(admin.explainRisk({ phoneNumber: "+12025550100" }), Code.Unauthenticated);
    await expectConnectError(
      admin.unblock({ scope: BlockScope.PREFIX, key: "+1202555" }, { headers: { authorization: "Bearer wrong-token-0123456789" } }),
      Code.PermissionDenied,
    );
  });
});
