import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService, BreakerState, type ProviderInfo, RoutingStrategy } from "../../gen/verify/admin/v1/admin_pb.js";
import { AttemptStatus, Channel } from "../../gen/verify/v1/verify_pb.js";
import { eventually } from "../support/eventually.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { ADMIN_SCENARIO } from "./scenario.js";

/**
 * The admin service through a real server and a real Connect client, with
 * no admin.token configured (the security suite covers the guarded case).
 * Tests in this file share one server and run in order: counts build up.
 */
let server: TestServer;
let admin: Client<typeof AdminService>;
beforeAll(async () => {
  server = await startTestServer({ config: ADMIN_SCENARIO });
  admin = server.client(AdminService);
});
afterAll(async () => {
  await server?.close();
});

const byName = (providers: ProviderInfo[], name: string) => {
  const found = providers.find((provider) => provider.name === name);
  if (!found) throw new Error(`ListProviders has no ${name}`);
  return found;
};

async function start(phoneNumber: string) {
  const { verification } = await server.connectH1.start({ phoneNumber });
  return verification!;
}

describe("AdminService.ListProviders", () => {
  test("shows every provider's channels, price and closed breakers before any traffic", async () => {
    const { providers } = await admin.listProviders({});
    expect(providers.map((p) => p.name)).toEqual(["sim-a", "sim-b", "sim-flaky"]);
    const simB = byName(providers, "sim-b");
    expect(simB.type).toBe("simulator");
    expect(simB.cost).toBe(0.05);
    expect(simB.channels).toEqual([Channel.SMS, Channel.VOICE]);
    expect(simB.breakers.map((b) => [b.channel, b.state])).toEqual([
      [Channel.SMS, BreakerState.CLOSED],
      [Channel.VOICE, BreakerState.CLOSED],
    ]);
    expect(byName(providers, "sim-a").breakers.map((b) => [b.channel, b.state])).toEqual([[Channel.SMS, BreakerState.CLOSED]]);
    expect(providers.flatMap((p) => p.stats)).toEqual([]);
  });

  test("after some Starts shows per-country counts matching what the simulators did", async () => {
    // sim-a takes three US numbers and refuses two (no_route), which sim-b then takes; DE routes sim-b first.
    for (const phone of ["+12025550100", "+12025550101", "+12025550102"]) {
      expect((await start(phone)).attempts.map((a) => a.provider)).toEqual(["sim-a"]);
    }
    for (const phone of ["+12025550110", "+12025550111"]) {
      expect((await start(phone)).attempts.map((a) => [a.provider, a.status])).toEqual([
        ["sim-a", AttemptStatus.REJECTED],
        ["sim-b", AttemptStatus.SUBMITTED],
      ]);
    }
    expect((await start("+4915123456789")).attempts.map((a) => a.provider)).toEqual(["sim-b"]);
    const verified = await start("+12025550103");
    expect((await server.connectH1.check({ verificationId: verified.id, code: await server.codeSentTo("+12025550103") })).approved).toBe(true);

    // Receipts arrive a little after acceptance.
    const { providers } = await eventually(async () => {
      const response = await admin.listProviders({});
      const delivered = response.providers.flatMap((p) => p.stats).reduce((sum, s) => sum + Number(s.delivered), 0);
      expect(delivered).toBe(7);
      return response;
    });

    const simA = byName(providers, "sim-a");
    expect(simA.stats.map((s) => s.country)).toEqual(["US"]);
    const aUs = simA.stats[0]!;
    expect(aUs).toMatchObject({ channel: Channel.SMS, accepted: 4n, rejected: 2n, delivered: 4n, undelivered: 0n, verified: 1n, demoted: false });
    expect(aUs.acceptanceRate).toBeCloseTo(4 / 6, 12);
    expect(aUs.deliveryRate).toBe(1);
    expect(aUs.completionRate).toBeCloseTo(1 / 4, 12);
    expect(aUs.spend).toBeCloseTo(4 * 0.07, 12);
    expect(aUs.costPerSuccess).toBeCloseTo(4 * 0.07, 12);
    expect(aUs.medianTimeToDelivery).toBeDefined();
    // Fewer than min_samples (20): no score yet.
    expect(aUs.score).toBeUndefined();

    const simB = byName(providers, "sim-b");
    const bStats = Object.fromEntries(simB.stats.map((s) => [s.country, s]));
    expect(Object.keys(bStats).sort()).toEqual(["DE", "US"]);
    expect(bStats.US).toMatchObject({ accepted: 2n, rejected: 0n, delivered: 2n, verified: 0n, acceptanceRate: 1 });
    expect(bStats.US!.costPerSuccess).toBeUndefined();
    expect(bStats.US!.spend).toBeCloseTo(2 * 0.05, 12);
    expect(bStats.DE).toMatchObject({ accepted: 1n, rejected: 0n, delivered: 1n });
    // cost_by_country: DE messages are priced at 0.02.
    expect(bStats.DE!.spend).toBeCloseTo(0.02, 12);
    expect(byName(providers, "sim-flaky").stats).toEqual([]);
  });
});

describe("AdminService.ExplainRoute", () => {
  test("returns the country's table order, each step with its place and reason", async () => {
    const de = await admin.explainRoute({ phoneNumber: "+4915123456700", channel: Channel.SMS });
    expect(de).toMatchObject({ phoneNumber: "+4915123456700", country: "DE", channel: Channel.SMS, strategy: RoutingStrategy.SCORE });
    expect(de.steps.map((s) => [s.provider, s.position, s.tablePosition, s.reason, s.skipped])).toEqual([
      ["sim-b", 1, 1, "table position 1", false],
      ["sim-a", 2, 2, "table position 2", false],
    ]);
    expect(de.steps.every((s) => s.breakerState === BreakerState.CLOSED && !s.demoted && !s.exploration)).toBe(true);

    const us = await admin.explainRoute({ phoneNumber: "+12025550199", channel: Channel.SMS });
    expect(us.country).toBe("US");
    expect(us.steps.map((s) => [s.provider, s.position, s.tablePosition])).toEqual([
      ["sim-a", 1, 1],
      ["sim-b", 2, 2],
    ]);
  });

  test("reads a national number with default_country, and explains other channels", async () => {
    const response = await admin.explainRoute({ phoneNumber: "01512 3456700", defaultCountry: "DE", channel: Channel.VOICE });
    expect(response).toMatchObject({ phoneNumber: "+4915123456700", country: "DE", channel: Channel.VOICE });
    expect(response.steps.map((s) => s.provider)).toEqual(["sim-b"]);
  });

  test("an open breaker shows as OPEN, its provider skipped at the back, and Starts no longer try it", async () => {
    // sim-flaky refuses with `unavailable`, which indicts it: three refusals open its breaker.
    for (const phone of ["+33612345601", "+33612345602", "+33612345603"]) {
      expect((await start(phone)).attempts.map((a) => [a.provider, a.status])).toEqual([
        ["sim-flaky", AttemptStatus.REJECTED],
        ["sim-b", AttemptStatus.SUBMITTED],
      ]);
    }
    const { providers } = await admin.listProviders({});
    const flaky = byName(providers, "sim-flaky");
    expect(flaky.breakers.map((b) => [b.channel, b.state])).toEqual([[Channel.SMS, BreakerState.OPEN]]);
    expect(flaky.stats).toHaveLength(1);
    expect(flaky.stats[0]).toMatchObject({ country: "FR", accepted: 0n, rejected: 3n, breakerOpens: 1 });
    expect(byName(providers, "sim-b").breakers.every((b) => b.state === BreakerState.CLOSED)).toBe(true);

    const fr = await admin.explainRoute({ phoneNumber: "+33612345699", channel: Channel.SMS });
    // FR is configured for the static strategy; an open breaker is skipped under any strategy.
    expect(fr.strategy).toBe(RoutingStrategy.STATIC);
    expect(fr.steps.map((s) => [s.provider, s.position, s.tablePosition, s.skipped, s.breakerState])).toEqual([
      ["sim-b", 1, 2, false, BreakerState.CLOSED],
      ["sim-flaky", 0, 1, true, BreakerState.OPEN],
    ]);
    expect(fr.steps[1]!.reason).toMatch(/^circuit open/);

    expect((await start("+33612345604")).attempts.map((a) => a.provider)).toEqual(["sim-b"]);
  });
});
