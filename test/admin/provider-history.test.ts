/**
 * ProviderStats.history over the wire (ListProviders and WatchProviders):
 * one point per scorer bucket of the window, oldest first, empty buckets
 * included, with each bucket's sends and receipts and the score of the
 * window up to it. A fake clock puts the sends in known buckets.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService, type ProviderInfo, type ProviderStats } from "../../gen/verify/admin/v1/admin_pb.js";
import { Channel } from "../../gen/verify/v1/verify_pb.js";
import { FakeClock } from "../support/clock.js";
import { eventually } from "../support/eventually.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { ADMIN_SCENARIO } from "./scenario.js";

const MINUTE = 60_000;
/** The start of a minute: the scorer's one-minute buckets begin here. */
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE;
const clock = new FakeClock(T0);

let server: TestServer;
let admin: Client<typeof AdminService>;

const usSms = (providers: ProviderInfo[], name: string): ProviderStats => {
  const stats = providers.find((provider) => provider.name === name)?.stats.find((entry) => entry.country === "US" && entry.channel === Channel.SMS);
  if (!stats) throw new Error(`no US SMS figures for ${name}`);
  return stats;
};

/** Waits until the simulators' receipts for sim-a's US sends have all been counted. */
async function deliveredBySimA(count: number): Promise<ProviderInfo[]> {
  return eventually(async () => {
    const { providers } = await admin.listProviders({});
    expect(usSms(providers, "sim-a").delivered).toBe(BigInt(count));
    return providers;
  });
}

beforeAll(async () => {
  server = await startTestServer({ config: [ADMIN_SCENARIO, { scoring: { window: "10m", buckets: 10, min_samples: 3 } }], clock });
  admin = server.client(AdminService);
  // Bucket T0: sim-a accepts two and rejects one (which fails over to sim-b).
  for (const phoneNumber of ["+12025550100", "+12025550101", "+12025550110"]) await server.connectH1.start({ phoneNumber });
  await deliveredBySimA(2);
  // Two buckets later: one more.
  clock.advance(2 * MINUTE + 30_000);
  await server.connectH1.start({ phoneNumber: "+12025550102" });
  await deliveredBySimA(3);
});
afterAll(async () => {
  await server?.close();
});

describe("ProviderStats.history", () => {
  test("has one point per bucket of the window, oldest first, ending with the bucket in progress", async () => {
    const { history } = usSms((await admin.listProviders({})).providers, "sim-a");

    expect(history).toHaveLength(10);
    expect(history.map((point) => timestampMs(point.bucketStart!))).toEqual(Array.from({ length: 10 }, (_, index) => T0 + (index - 7) * MINUTE));
  });

  test("counts each bucket's sends, accepted and rejected, with empty buckets as zero", async () => {
    const providers = (await admin.listProviders({})).providers;

    expect(usSms(providers, "sim-a").history.map((point) => Number(point.sends))).toEqual([0, 0, 0, 0, 0, 0, 0, 3, 0, 1]);
    expect(usSms(providers, "sim-b").history.map((point) => Number(point.sends))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  test("gives a delivery rate where a bucket has receipts, and the score of the window up to each bucket once min_samples is reached", async () => {
    const simA = usSms((await admin.listProviders({})).providers, "sim-a");

    expect(simA.history.map((point) => point.deliveryRate)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined, 1, undefined, 1]);
    // Two accepted sends up to T0's bucket (min_samples is 3); three by the last, whose score is the window's.
    expect(simA.history.map((point) => point.score === undefined)).toEqual([true, true, true, true, true, true, true, true, true, false]);
    expect(simA.history.at(-1)!.score).toBe(simA.score);
  });

  test("is the same in WatchProviders' messages", async () => {
    const listed = (await admin.listProviders({})).providers;
    let watched: ProviderInfo[] = [];
    for await (const message of admin.watchProviders({})) {
      watched = message.providers;
      break;
    }
    expect(usSms(watched, "sim-a").history).toEqual(usSms(listed, "sim-a").history);
  });
});
