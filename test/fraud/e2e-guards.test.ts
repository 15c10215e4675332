/**
 * The guards that judge one Start, end to end through the simulators: geo
 * permissions, number types, prefix velocity and the allow list. A refused
 * Start sends nothing, creates nothing and answers PERMISSION_DENIED with a
 * google.rpc.ErrorInfo naming the reason and its figures.
 */
import { afterEach, describe, expect, test } from "vitest";
import { Channel } from "../../gen/verify/v1/verify_pb.js";
import { FakeClock } from "../support/clock.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { expectRefusal, FRAUD_SCENARIO, fraudLayer, numbersIn, providerCalls, startMany } from "./scenario.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(fraud: Parameters<typeof fraudLayer>[0], clock?: FakeClock): Promise<TestServer> {
  server = await startTestServer({ config: [FRAUD_SCENARIO, fraudLayer(fraud)], clock });
  return server;
}

describe("geo permissions", () => {
  test("a Start to a denied country sends nothing, stores nothing, and answers PERMISSION_DENIED with geo_blocked", async () => {
    const s = await serve({ geo: { sms: { allow: ["US", "CA", "GB", "DE"] }, voice: { allow: ["US"] } } });
    const { error, info } = await expectRefusal(s.connectH1.start({ phoneNumber: "+33612345678" }), "geo_blocked");
    expect(error.rawMessage).toMatch(/refused by the fraud guard: geo: FR is not allowed for sms \(allow list\)/);
    expect(info.metadata).toMatchObject({ guard: "geo", country: "FR", channel: "sms", rule: "allow" });
    expect(info.metadata.allowed_channels).toBeUndefined();
    expect(providerCalls(s)).toBe(0);
    expect(s.storedCount()).toBe(0);
    // An allowed country is untouched.
    expect((await s.connectH1.start({ phoneNumber: "+4915123456789" })).verification?.attempts[0]?.provider).toBe("sim-a");
  });

  test("when only the asked channel is refused, the error lists the channels still allowed, and that channel works", async () => {
    const s = await serve({ geo: { sms: { deny: ["FR"] } } });
    const { error, info } = await expectRefusal(s.grpc.start({ phoneNumber: "+33612345678" }), "geo_blocked");
    expect(info.metadata.allowed_channels).toBe("voice");
    expect(error.rawMessage).toMatch(/allowed instead: voice/);
    const { verification } = await s.grpc.start({ phoneNumber: "+33612345678", channel: Channel.VOICE });
    expect(verification?.attempts.map((attempt) => attempt.provider)).toEqual(["sim-voice"]);
  });
});

describe("number types", () => {
  test("a premium-rate number is refused (number_type) on every channel; a mobile one is sent", async () => {
    const s = await serve({});
    const { info } = await expectRefusal(s.connectH1.start({ phoneNumber: "+19005550123" }), "number_type");
    expect(info.metadata).toMatchObject({ guard: "number_types", number_type: "PREMIUM_RATE", channel: "sms" });
    expect(info.metadata.allowed_channels).toBeUndefined();
    await expectRefusal(s.connectH1.start({ phoneNumber: "+19005550123", channel: Channel.VOICE }), "number_type");
    expect(providerCalls(s)).toBe(0);
    await s.connectH1.start({ phoneNumber: "+33612345678" });
    expect(providerCalls(s)).toBe(1);
  });

  test("a fixed line is refused SMS by default and offered voice instead", async () => {
    const s = await serve({});
    const { info } = await expectRefusal(s.connectH1.start({ phoneNumber: "+390612345678" }), "number_type");
    expect(info.metadata).toMatchObject({ number_type: "FIXED_LINE", allowed_channels: "voice" });
    await s.connectH1.start({ phoneNumber: "+390612345678", channel: Channel.VOICE });
  });
});

describe("prefix velocity", () => {
  test("the 21st send to a prefix inside the window is refused while a neighbouring prefix still sends; it sends again once the window has passed", async () => {
    const clock = new FakeClock(Date.now());
    const s = await serve({}, clock);
    await startMany(s, numbersIn("+1202555"), 20);
    const { info } = await expectRefusal(s.connectH2.start({ phoneNumber: "+12025559999" }), "prefix_velocity");
    expect(info.metadata).toMatchObject({ guard: "prefix_velocity", prefix: "+1202555", sends: "20", limit: "20", window_ms: "600000" });
    expect(s.sends("sim-a")).toHaveLength(20);
    await s.connectH2.start({ phoneNumber: "+12025560100" });
    expect(s.sends("sim-a")).toHaveLength(21);
    clock.advance(11 * 60_000);
    await s.connectH2.start({ phoneNumber: "+12025559999" });
    expect(s.sends("sim-a")).toHaveLength(22);
  });

  test("Resend counts as a send and is refused past the limit too", async () => {
    const clock = new FakeClock(Date.now());
    const s = await serve({ prefix_velocity: { limit: 2 } }, clock);
    const { verification } = await s.connectH1.start({ phoneNumber: "+12025550100" });
    clock.advance(2_000);
    await s.connectH1.resend({ verificationId: verification!.id });
    clock.advance(2_000);
    await expectRefusal(s.connectH1.resend({ verificationId: verification!.id }), "prefix_velocity");
    expect(s.sends("sim-a")).toHaveLength(2);
  });

  test("a Start refused by the per-phone rate limit is not counted by the guard, so the limits count each send once", async () => {
    server = await startTestServer({ config: [FRAUD_SCENARIO, fraudLayer({ prefix_velocity: { limit: 3 } }), { rate_limits: { per_phone: { limit: 1 } } }] });
    const s = server;
    await s.connectH1.start({ phoneNumber: "+12025550100" });
    for (let i = 0; i < 3; i++) await expect(s.connectH1.start({ phoneNumber: "+12025550100" })).rejects.toThrow(/too many requests/);
    // Three refusals by the rate limit left the prefix's count at 1: two more sends fit under the limit of 3.
    await s.connectH1.start({ phoneNumber: "+12025550101" });
    await s.connectH1.start({ phoneNumber: "+12025550102" });
    await expectRefusal(s.connectH1.start({ phoneNumber: "+12025550103" }), "prefix_velocity");
  });
});

describe("allow_numbers", () => {
  test("a number on the allow list skips every guard: a premium number in a denied country past the velocity limit is sent", async () => {
    const s = await serve({ geo: { sms: { deny: ["US"] } }, prefix_velocity: { limit: 1 }, allow_numbers: ["+1900555*", "+12025550100"] });
    await s.connectH1.start({ phoneNumber: "+19005550123" });
    await s.connectH1.start({ phoneNumber: "+19005550124" });
    await s.connectH1.start({ phoneNumber: "+12025550100" });
    expect(s.sends("sim-a")).toHaveLength(3);
    await expectRefusal(s.connectH1.start({ phoneNumber: "+12025550101" }), "geo_blocked");
  });
});
