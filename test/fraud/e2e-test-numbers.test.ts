/**
 * Test numbers (app-store review, QA): Start answers SUBMITTED through the
 * provider `test` and sends nothing; Check approves the configured code,
 * capped, single use and expiring like any other; no limit, guard or score
 * ever sees them.
 */
import { afterEach, describe, expect, test } from "vitest";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { parseConfig } from "../../src/config/load-config.js";
import { FakeClock } from "../support/clock.js";
import { testConfigYaml } from "../support/config.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { FRAUD_SCENARIO, fraudLayer, providerCalls } from "./scenario.js";

const TEST_NUMBER = "+15005550100";
const DRAMA_NUMBER = "+447700900123";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(clock?: FakeClock): Promise<TestServer> {
  server = await startTestServer({
    config: [
      FRAUD_SCENARIO,
      // A guard that would refuse both numbers, and a per-phone limit of one send: test numbers pass them all.
      fraudLayer({ geo: { sms: { deny: ["US", "GB"] } } }),
      {
        rate_limits: { per_phone: { limit: 1 }, check_per_ip: { limit: 2 } },
        policy: { max_check_attempts: 3, code_ttl: "10m" },
        test_numbers: [
          { number: TEST_NUMBER, code: "246810" },
          { number: DRAMA_NUMBER, code: "1234" },
        ],
      },
    ],
    clock,
  });
  return server;
}

describe("a test number", () => {
  test("answers Start SUBMITTED through provider `test`, sends nothing, and approves its code once", async () => {
    const s = await serve();
    const { verification } = await s.connectH1.start({ phoneNumber: TEST_NUMBER });
    expect(verification?.status).toBe(VerificationStatus.SUBMITTED);
    expect(verification?.attempts.map((attempt) => attempt.provider)).toEqual(["test"]);
    expect(providerCalls(s)).toBe(0);
    // Not limited: a second and third Start (per-phone limit 1) answer from the same verification.
    expect((await s.connectH1.start({ phoneNumber: TEST_NUMBER })).verification?.id).toBe(verification!.id);
    expect((await s.connectH1.resend({ verificationId: verification!.id })).verification?.id).toBe(verification!.id);
    expect(providerCalls(s)).toBe(0);
    expect((await s.connectH1.check({ verificationId: verification!.id, code: "000000" })).approved).toBe(false);
    const approved = await s.connectH1.check({ verificationId: verification!.id, code: "246810" });
    expect(approved.approved).toBe(true);
    // Single use, and Checks of test numbers are not limited (check_per_ip is 2).
    expect((await s.connectH1.check({ verificationId: verification!.id, code: "246810" })).approved).toBe(false);
    // A new Start makes a new one, with the same code.
    const again = (await s.connectH1.start({ phoneNumber: TEST_NUMBER })).verification!;
    expect(again.id).not.toBe(verification!.id);
    expect((await s.connectH1.check({ verificationId: again.id, code: "246810" })).approved).toBe(true);
    expect(providerCalls(s)).toBe(0);
  });

  test("is capped by max_check_attempts and expires like any other", async () => {
    const clock = new FakeClock(Date.now());
    const s = await serve(clock);
    const locked = (await s.connectH1.start({ phoneNumber: DRAMA_NUMBER })).verification!;
    for (let i = 0; i < 3; i++) await s.connectH1.check({ verificationId: locked.id, code: "9999" });
    const afterLock = await s.connectH1.check({ verificationId: locked.id, code: "1234" });
    expect([afterLock.approved, afterLock.verification?.status]).toEqual([false, VerificationStatus.LOCKED]);

    const expiring = (await s.connectH1.start({ phoneNumber: TEST_NUMBER })).verification!;
    clock.advance(10 * 60_000 + 1);
    const late = await s.connectH1.check({ verificationId: expiring.id, code: "246810" });
    expect([late.approved, late.verification?.status]).toEqual([false, VerificationStatus.EXPIRED]);
  });

  test("is never scored nor counted by the guard: ListProviders and the guard's metrics never see it", async () => {
    const s = await serve();
    const { verification } = await s.connectH1.start({ phoneNumber: TEST_NUMBER });
    await s.connectH1.check({ verificationId: verification!.id, code: "246810" });
    const { providers } = await s.client(AdminService).listProviders({});
    expect(providers.flatMap((provider) => provider.stats)).toEqual([]);
    const { verdicts, testNumber } = await s.client(AdminService).explainRisk({ phoneNumber: TEST_NUMBER });
    expect([testNumber, verdicts]).toEqual([true, []]);
  });
});

describe("test_numbers in the config", () => {
  const parse = (testNumbers: unknown) => () => parseConfig(testConfigYaml({ test_numbers: testNumbers }), {}, "test config");

  test("must be E.164 numbers with a code of 4 to 10 digits, each once; the message names the key", () => {
    expect(parse([{ number: "5005550100", code: "246810" }])).toThrow(/test_numbers\[0\]\.number: expected an E\.164 number/);
    expect(parse([{ number: "+15005550100", code: "12" }])).toThrow(/test_numbers\[0\]\.code: expected a code of 4 to 10 digits/);
    expect(parse([{ number: "+15005550100", code: "12345678901" }])).toThrow(/test_numbers\[0\]\.code/);
    expect(parse([{ number: "+1500", code: "1234" }])).toThrow(/test_numbers\[0\]\.number/);
    expect(
      parse([
        { number: TEST_NUMBER, code: "1234" },
        { number: TEST_NUMBER, code: "5678" },
      ]),
    ).toThrow(/test_numbers\[1\]\.number: duplicate test number/);
    expect(parse([{ number: TEST_NUMBER, code: "1234" }])().test_numbers).toEqual([{ number: TEST_NUMBER, code: "1234" }]);
  });
});
