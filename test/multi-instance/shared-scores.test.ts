/**
 * Two verifyd processes on one database route on one picture: what one
 * instance learns about a provider reaches the other's scorer within the
 * sync interval (scoring.sync_interval), and both add up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderStats } from "../../gen/verify/admin/v1/admin_pb.js";
import { Channel } from "../../gen/verify/v1/verify_pb.js";
import { eventually } from "../support/eventually.js";
import { type MongoTestServer, mongoServerAvailability, startMongoServer } from "../support/ferretdb.js";
import { type Cluster, numberFactory, startCluster, type VerifydInstance } from "./cluster.js";

const availability = mongoServerAvailability();

/** One provider's figures for one country on SMS, as an instance's ListProviders reports them. */
async function statsOf(instance: VerifydInstance, provider: string, country: string): Promise<ProviderStats | undefined> {
  const { providers } = await instance.admin.listProviders({});
  return providers.find((info) => info.name === provider)?.stats.find((stats) => stats.country === country && stats.channel === Channel.SMS);
}

/** Polls until `accept` holds for the instance's figures, or fails with the last ones seen. */
async function waitForStats(
  instance: VerifydInstance,
  provider: string,
  country: string,
  accept: (stats: ProviderStats) => boolean,
  timeoutMs = 10_000,
): Promise<ProviderStats> {
  return eventually(
    async () => {
      const stats = await statsOf(instance, provider, country);
      const seen = JSON.stringify(stats, (_, v: unknown) => (typeof v === "bigint" ? Number(v) : v));
      expect(stats !== undefined && accept(stats), `${instance.name}: ${provider} in ${country}; last seen ${seen}`).toBe(true);
      return stats!;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

describe.skipIf(!availability.available)("two verifyd instances sharing their provider statistics", () => {
  let server: MongoTestServer;
  let cluster: Cluster;
  let a: VerifydInstance;
  let b: VerifydInstance;

  beforeAll(async () => {
    server = await startMongoServer();
    cluster = await startCluster(["a", "b"], {
      mongoUri: server.uri,
      database: server.uniqueDatabase("scores"),
      // sim-a refuses +1202555013… outright (a route rejection: it fails over without tripping the breaker).
      simARules: [{ match: "+1202555013*", outcome: "reject", error: "no_route" }],
      // No exploration, so a demoted provider is always last; three sends are enough to be scored.
      scoring: { sync_interval: "300ms", min_samples: 3, exploration: 0 },
    });
    [a, b] = cluster.instances as [VerifydInstance, VerifydInstance];
  });
  afterAll(async () => {
    await cluster?.stop();
    await server?.close();
  });

  it("shows on B, within the sync interval, a provider that rejects and never delivers on A, and B demotes it", async () => {
    expect(await statsOf(b, "sim-a", "US")).toBeUndefined();
    const rejectedNumber = numberFactory("+1202555013");
    const droppedNumber = numberFactory("+1202555012");
    // Rejections first: while sim-a has fewer than min_samples accepted sends A still tries it first.
    for (let i = 0; i < 2; i++) await a.client.start({ phoneNumber: rejectedNumber() });
    for (let i = 0; i < 3; i++) await a.client.start({ phoneNumber: droppedNumber() });

    const onB = await waitForStats(b, "sim-a", "US", (stats) => stats.accepted >= 3n && stats.rejected >= 2n);

    expect(onB).toMatchObject({ accepted: 3n, rejected: 2n, delivered: 0n, verified: 0n, demoted: true });
    // Nothing delivered, nothing verified, three of five accepted: 0.15 × 0.6.
    expect(onB.score).toBeCloseTo(0.09, 9);
    expect(onB.acceptanceRate).toBeCloseTo(0.6, 9);
    // A routes on the same figures.
    const onA = await statsOf(a, "sim-a", "US");
    expect(onA).toMatchObject({ accepted: 3n, rejected: 2n, demoted: true });
    expect(onA?.score).toBe(onB.score);

    const route = await b.admin.explainRoute({ phoneNumber: "+12025550199", channel: Channel.SMS });
    expect(route.steps.map((step) => ({ provider: step.provider, position: step.position, demoted: step.demoted }))).toEqual([
      { provider: "sim-b", position: 1, demoted: false },
      { provider: "sim-a", position: 2, demoted: true },
    ]);
  });

  it("adds up on both instances what each of them sent", async () => {
    let next = 0;
    const nextNumber = () => `+4474001234${String(10 + next++)}`;
    // Each receipt arrives 200 ms after its send, on the instance that sent it.
    const sentAndDelivered = (count: bigint) => (stats: ProviderStats) => stats.accepted >= count && stats.delivered >= count;
    for (let i = 0; i < 2; i++) await a.client.start({ phoneNumber: nextNumber() });
    // One instance at a time: FerretDB's `$inc` is read-then-write, so two pushes into one bucket at the same moment can lose one there.
    await waitForStats(b, "sim-a", "GB", sentAndDelivered(2n));
    for (let i = 0; i < 3; i++) await b.client.start({ phoneNumber: nextNumber() });

    for (const instance of [a, b]) {
      expect(await waitForStats(instance, "sim-a", "GB", sentAndDelivered(5n))).toMatchObject({ accepted: 5n, delivered: 5n, rejected: 0n });
    }
  });
});
