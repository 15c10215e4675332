/**
 * Two verifyd instances on one MongoDB database (FerretDB unless MONGODB_URI
 * names a server) share the guard's picture: prefix counters, conversion
 * windows and blocks live in the database, so sends through either count
 * against one limit and a block made by one is enforced, listed and lifted
 * by the other. Started in-process on one injected clock (the shared-state
 * suites of test/multi-instance run whole processes; this one needs the
 * clock).
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AdminService, BlockScope } from "../../gen/verify/admin/v1/admin_pb.js";
import { FakeClock } from "../support/clock.js";
import { type MongoTestServer, startMongoServer } from "../support/ferretdb.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { expectRefusal, FRAUD_SCENARIO, fraudLayer, numbersIn } from "./scenario.js";

let mongo: MongoTestServer;
let a: TestServer;
let b: TestServer;
const clock = new FakeClock(Date.now());

beforeAll(async () => {
  mongo = await startMongoServer();
  const store = { type: "mongodb", uri: mongo.uri, database: mongo.uniqueDatabase("fraud_shared"), poll_interval: "50ms", timeouts: { operation: "8s" } };
  const fraud = fraudLayer({ prefix_velocity: { limit: 6 }, conversion_guard: { scope: ["prefix"], min_sends: 10, window: "1h" } });
  const layers = [FRAUD_SCENARIO, fraud, { store }];
  a = await startTestServer({ config: layers, clock });
  b = await startTestServer({ config: layers, clock });
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await mongo?.close();
});

describe("two instances on one database", () => {
  test("count sends to a prefix together: three through each fill a limit of six for both", async () => {
    const next = numbersIn("+1202555");
    for (let i = 0; i < 3; i++) {
      await a.connectH1.start({ phoneNumber: next() });
      await b.connectH1.start({ phoneNumber: next() });
    }
    await expectRefusal(a.connectH1.start({ phoneNumber: next() }), "prefix_velocity");
    const { info } = await expectRefusal(b.connectH1.start({ phoneNumber: next() }), "prefix_velocity");
    expect(info.metadata.sends).toBe("6");
  });

  test("share blocks: one made through A refuses on B, shows in B's ListBlocks, and Unblock on B lifts it for A", async () => {
    const next = numbersIn("+1303556");
    for (let i = 0; i < 3; i++) await a.connectH1.start({ phoneNumber: next() });
    for (let i = 0; i < 3; i++) await b.connectH1.start({ phoneNumber: next() });
    // A fresh velocity window (its counts fade over its last bucket, a tenth of it); the conversion window (an hour) keeps the 6 sends.
    clock.advance(11 * 60_000);
    for (let i = 0; i < 2; i++) await a.connectH1.start({ phoneNumber: next() });
    for (let i = 0; i < 2; i++) await b.connectH1.start({ phoneNumber: next() });
    // 10 unverified sends: the next Start, on A, blocks the prefix.
    await expectRefusal(a.connectH1.start({ phoneNumber: next() }), "conversion_guard");
    await expectRefusal(b.connectH1.start({ phoneNumber: next() }), "conversion_guard");
    const adminB = b.client(AdminService);
    expect((await adminB.listBlocks({})).blocks.map((block) => block.key)).toEqual(["+1303556"]);
    await adminB.unblock({ scope: BlockScope.PREFIX, key: "+1303556" });
    expect((await a.client(AdminService).listBlocks({})).blocks).toEqual([]);
    await a.connectH1.start({ phoneNumber: next() });
  });
});
