/**
 * The guard's shell over the memory state, on a fake clock: what it counts
 * and when, the verified signal, the modes, and the refusal it throws.
 */
import { describe, expect, test } from "vitest";
import { FraudGuard } from "../../src/fraud/fraud-guard.js";
import type { FraudState } from "../../src/fraud/state.js";
import { CONVERSION_BUCKETS, VELOCITY_BUCKETS, windowShape } from "../../src/fraud/window.js";
import { MemoryFraudState } from "../../src/store/memory/fraud-state.js";
import { VerifyError } from "../../src/verification/errors.js";
import type { Channel, VerificationEvent, VerificationRecord } from "../../src/verification/model.js";
import type { SendIntent } from "../../src/verification/ports.js";
import { expectVerifyError } from "../support/expect-error.js";
import { FakeClock, silentLogger } from "../support/fakes.js";
import { MINUTE, settingsOf } from "./support.js";

function guardWith(raw: Record<string, unknown>) {
  const clock = new FakeClock();
  const settings = settingsOf(raw);
  const windows = { velocity: windowShape(settings.velocity.windowMs, VELOCITY_BUCKETS), conversion: windowShape(settings.conversion.windowMs, CONVERSION_BUCKETS) };
  const state = new MemoryFraudState(windows, { now: () => clock.now() });
  const decisions: string[] = [];
  const guard = new FraudGuard({ settings, state, clock, logger: silentLogger, onDecision: (g, d, c) => decisions.push(`${g}:${d}:${c}`) });
  return { clock, state: state as FraudState, guard, decisions };
}

const intent = (phoneNumber: string, country = "US", extra: Partial<Omit<SendIntent, "alternatives">> & { alternatives?: Channel[] } = {}): SendIntent => {
  const { alternatives = [], ...rest } = extra;
  return { phoneNumber, country, channel: "sms", alternatives: () => alternatives, ...rest };
};

/** Admits and counts, as a Start that gets through the rate limits does. */
async function send(guard: FraudGuard, phoneNumber: string, country = "US"): Promise<void> {
  await (await guard.admit(intent(phoneNumber, country))).count();
}

function verifiedEvent(phoneNumber: string, country: string, createdAt: number, at: number): VerificationEvent {
  const verification = { phoneNumber, country, createdAt } as VerificationRecord;
  return { verificationId: "ver_x", sequence: 3, type: "verified", verification, at };
}

describe("counting", () => {
  test("a send is counted only by count(): an admitted send the rate limits then refuse leaves no trace", async () => {
    const { guard } = guardWith({ prefix_velocity: { limit: 2 } });
    await guard.admit(intent("+12025550100"));
    await guard.admit(intent("+12025550101"));
    await send(guard, "+12025550102");
    await send(guard, "+12025550103");
    await expectVerifyError(guard.admit(intent("+12025550104")), "permission_denied");
  });

  test("a refused send is not counted: refusals do not extend the window", async () => {
    const { guard, clock } = guardWith({ prefix_velocity: { limit: 1, window: "10m" } });
    await send(guard, "+12025550100");
    for (let i = 0; i < 5; i++) await expect(guard.admit(intent("+12025550101"))).rejects.toThrow(VerifyError);
    clock.advance(11 * MINUTE);
    await send(guard, "+12025550101");
  });
});

describe("the verified signal", () => {
  test("counts for the prefix and, when the range was unproven at send time, as a new range's conversion for the country", async () => {
    const { guard, clock, state } = guardWith({});
    const sentAt = clock.now();
    await send(guard, "+998901230000", "UZ");
    clock.advance(30_000);
    guard.observe([verifiedEvent("+998901230000", "UZ", sentAt, clock.now())]);
    await new Promise((resolve) => setImmediate(resolve));
    await send(guard, "+998901230001", "UZ");
    const snapshot = await state.snapshot("+99890123", "UZ", clock.now());
    const total = (key: "sends" | "verified" | "newSends" | "newVerified") => snapshot.country.buckets.reduce((sum, bucket) => sum + bucket[key], 0);
    // Two sends, one verified; the first went to a new range (and converted), the second to a now-proven one.
    expect([total("sends"), total("verified"), total("newSends"), total("newVerified")]).toEqual([2, 1, 1, 1]);
    expect(snapshot.prefix.lastVerifiedAt).toBe(sentAt + 30_000);
  });

  test("is ignored for allow-listed numbers and when the guard is off", async () => {
    for (const raw of [{ allow_numbers: ["+1202555*"] }, { mode: "off" }]) {
      const { guard, clock, state } = guardWith(raw);
      guard.observe([verifiedEvent("+12025550100", "US", clock.now(), clock.now())]);
      await new Promise((resolve) => setImmediate(resolve));
      expect((await state.snapshot("+1202555", "US", clock.now())).prefix.lastVerifiedAt).toBeUndefined();
    }
  });
});

describe("modes", () => {
  test("monitor: a refusal is counted as would_block and the send admitted; enforce: counted as block and refused", async () => {
    const monitor = guardWith({ mode: "monitor", geo: { sms: { deny: ["US"] } } });
    await (await monitor.guard.admit(intent("+12025550100"))).count();
    expect(monitor.decisions.slice(0, 2)).toEqual(["geo:would_block:US", "number_types:allow:US"]);
    const enforce = guardWith({ geo: { sms: { deny: ["US"] } } });
    await expectVerifyError(enforce.guard.admit(intent("+12025550100")), "permission_denied");
    // With nothing else to offer, the shared state is not even read: geo and number types decide.
    expect(enforce.decisions).toEqual(["geo:block:US", "number_types:allow:US"]);
  });

  test("off: nothing is judged or counted", async () => {
    const { guard, decisions } = guardWith({ mode: "off", geo: { sms: { deny: ["US"] } } });
    await (await guard.admit(intent("+12025550100"))).count();
    expect(decisions).toEqual([]);
  });
});

describe("the refusal", () => {
  test("is PERMISSION_DENIED with the reason, the figures as strings, and the channels still allowed", async () => {
    const { guard } = guardWith({ geo: { sms: { deny: ["FR"] }, whatsapp: { deny: ["FR"] } } });
    const error = await expectVerifyError(guard.admit(intent("+33612345678", "FR", { alternatives: ["voice", "whatsapp"] })), "permission_denied");
    expect(error.reason).toBe("geo_blocked");
    expect(error.metadata).toEqual({ guard: "geo", country: "FR", channel: "sms", rule: "deny", allowed_channels: "voice" });
    expect(error.message).toBe("refused by the fraud guard: geo: FR is not allowed for sms (deny list); allowed instead: voice");
  });

  test("offers no channel when a guard of the number itself (velocity, conversion) refuses too", async () => {
    const { guard } = guardWith({ geo: { sms: { deny: ["FR"] } }, prefix_velocity: { limit: 1 } });
    await (await guard.admit(intent("+33612345678", "FR", { channel: "voice" }))).count();
    const error = await expectVerifyError(guard.admit(intent("+33612345679", "FR", { alternatives: ["voice"] })), "permission_denied");
    expect(error.metadata?.allowed_channels).toBeUndefined();
  });
});
