/**
 * The conversion guard end to end, on an injected clock: a prefix whose codes
 * are not verified is blocked, listed by ListBlocks, lifted after block_for or
 * by Unblock; a repeat escalates; a spread attack is caught at country level
 * while a range that converts keeps sending; monitor mode sends everything
 * and counts the would-be blocks.
 */
import type { Client } from "@connectrpc/connect";
import { afterEach, describe, expect, test } from "vitest";
import { AdminService, BlockScope } from "../../gen/verify/admin/v1/admin_pb.js";
import { FakeClock } from "../support/clock.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { scrape } from "../telemetry/prometheus.js";
import { expectRefusal, FRAUD_SCENARIO, fraudLayer, numbersIn, startMany } from "./scenario.js";

const MINUTE = 60_000;

/** The prefix guard alone, with velocity out of the way: 50 sends in a 10-minute window judge it. */
const PREFIX_ONLY = { prefix_velocity: { limit: 1000 }, conversion_guard: { scope: ["prefix"], window: "10m", min_sends: 50, block_for: "15m", max_block: "2h" } };

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(fraud: Parameters<typeof fraudLayer>[0], options: { clock: FakeClock; mode?: string; metrics?: boolean }) {
  server = await startTestServer({ config: [FRAUD_SCENARIO, fraudLayer({ ...fraud, ...(options.mode ? { mode: options.mode } : {}) })], clock: options.clock });
  return { s: server, admin: server.client(AdminService) as Client<typeof AdminService> };
}

describe("a prefix whose codes go unverified", () => {
  test("is blocked after 50 unverified sends (conversion_guard), appears in ListBlocks, and lifts by itself after block_for", async () => {
    const clock = new FakeClock(Date.now());
    const { s, admin } = await serve(PREFIX_ONLY, { clock });
    await startMany(s, numbersIn("+1202555"), 50);
    const { info } = await expectRefusal(s.connectH1.start({ phoneNumber: "+12025559999" }), "conversion_guard");
    expect(info.metadata).toMatchObject({ guard: "conversion_guard", scope: "prefix", prefix: "+1202555", sends: "50", verified: "0", level: "1" });
    expect(s.sends("sim-a")).toHaveLength(50);

    const { blocks } = await admin.listBlocks({});
    expect(blocks.map((block) => [block.scope, block.key, block.country, block.reason, block.level])).toEqual([
      [BlockScope.PREFIX, "+1202555", "US", "conversion_guard", 1],
    ]);
    expect(blocks[0]!.figures).toMatchObject({ sends: "50", verified: "0", conversion: "0" });
    expect(Number(blocks[0]!.until!.seconds) * 1000 - Number(blocks[0]!.since!.seconds) * 1000).toBeCloseTo(15 * MINUTE, -4);

    // A neighbouring prefix is not affected.
    await s.connectH1.start({ phoneNumber: "+12025560100" });
    // 15 minutes on, the block is over and the window (10 minutes) holds none of those sends: the prefix sends again.
    clock.advance(15 * MINUTE);
    expect((await admin.listBlocks({})).blocks).toEqual([]);
    await s.connectH1.start({ phoneNumber: "+12025559999" });
  });

  test("is let out at once by Unblock, which clears its window", async () => {
    const clock = new FakeClock(Date.now());
    const { s, admin } = await serve(PREFIX_ONLY, { clock });
    await startMany(s, numbersIn("+1202555"), 50);
    await expectRefusal(s.connectH1.start({ phoneNumber: "+12025559999" }), "conversion_guard");
    const { block } = await admin.unblock({ scope: BlockScope.PREFIX, key: "+1202555" });
    expect(block?.key).toBe("+1202555");
    expect((await admin.listBlocks({})).blocks).toEqual([]);
    await s.connectH1.start({ phoneNumber: "+12025559999" });
    await expect(admin.unblock({ scope: BlockScope.PREFIX, key: "+1202555" })).rejects.toThrow(/no prefix block on \+1202555 is in force/);
  });

  test("is blocked again at double the length when it has not recovered by the block's end", async () => {
    const clock = new FakeClock(Date.now());
    const { s, admin } = await serve({ ...PREFIX_ONLY, conversion_guard: { ...PREFIX_ONLY.conversion_guard, window: "1h" } }, { clock });
    await startMany(s, numbersIn("+1202555"), 50);
    await expectRefusal(s.connectH1.start({ phoneNumber: "+12025559999" }), "conversion_guard");
    clock.advance(15 * MINUTE + 1);
    // The window still holds 50 sends and no verification: a repeat, for 30 minutes.
    const { info } = await expectRefusal(s.connectH1.start({ phoneNumber: "+12025559999" }), "conversion_guard");
    expect(info.metadata.level).toBe("2");
    const [block] = (await admin.listBlocks({})).blocks;
    expect(block!.level).toBe(2);
    expect(Number(block!.until!.seconds) - Number(block!.since!.seconds)).toBeCloseTo(30 * 60, -1);
  });

  test("is let out when the block ends if codes sent before it were verified while it held", async () => {
    const clock = new FakeClock(Date.now());
    server = await startTestServer({
      config: [FRAUD_SCENARIO, fraudLayer({ ...PREFIX_ONLY, conversion_guard: { ...PREFIX_ONLY.conversion_guard, window: "1h" } }), { policy: { code_ttl: "1h" } }],
      clock,
    });
    const s = server;
    const next = numbersIn("+1202555");
    const sent: Array<{ id: string; phoneNumber: string }> = [];
    for (let i = 0; i < 50; i++) {
      const phoneNumber = next();
      sent.push({ id: (await s.connectH1.start({ phoneNumber })).verification!.id, phoneNumber });
    }
    await expectRefusal(s.connectH1.start({ phoneNumber: "+12025559999" }), "conversion_guard");
    clock.advance(5 * MINUTE);
    // 10 of the 50 codes are verified during the block: 20%, the minimum.
    for (const { id, phoneNumber } of sent.slice(0, 10)) {
      expect((await s.connectH1.check({ verificationId: id, code: await s.codeSentTo(phoneNumber) })).approved).toBe(true);
    }
    await expectRefusal(s.connectH1.start({ phoneNumber: "+12025559999" }), "conversion_guard");
    clock.advance(10 * MINUTE + 1);
    await s.connectH1.start({ phoneNumber: "+12025559999" });
  });
});

describe("a spread attack over many prefixes of one country", () => {
  test("is blocked at country level for ranges with no verified code, while a range whose codes are verified keeps sending", async () => {
    const clock = new FakeClock(Date.now());
    const { s, admin } = await serve({ conversion_guard: { scope: ["country"], min_sends: 20 } }, { clock });
    // A legitimate range: a code sent and verified.
    const { verification } = await s.connectH1.start({ phoneNumber: "+998901230000" });
    await s.connectH1.check({ verificationId: verification!.id, code: await s.codeSentTo("+998901230000") });
    // The attack: one send to each of 19 ranges, none verified: with the legitimate one, 20 sends to new ranges, 1 verified.
    for (let range = 0; range < 19; range++) await s.connectH1.start({ phoneNumber: `+9989${String(1000 + range)}0000` });
    const { info } = await expectRefusal(s.connectH1.start({ phoneNumber: "+998935550000" }), "conversion_guard");
    expect(info.metadata).toMatchObject({ scope: "country", country: "UZ", sends: "20", verified: "1", proven_range: "false" });
    expect((await admin.listBlocks({})).blocks.map((block) => [block.scope, block.key])).toEqual([[BlockScope.COUNTRY, "UZ"]]);
    // The proven range still sends; another country is untouched.
    await s.connectH1.start({ phoneNumber: "+998901230001" });
    await s.connectH1.start({ phoneNumber: "+33612345678" });
  });
});

describe("monitor mode", () => {
  test("the same run sends every code, records the would-be block, and counts would-be refusals", async () => {
    const clock = new FakeClock(Date.now());
    const { s, admin } = await serve(PREFIX_ONLY, { clock, mode: "monitor" });
    await startMany(s, numbersIn("+1202555"), 55);
    expect(s.sends("sim-a")).toHaveLength(55);
    expect((await admin.listBlocks({})).blocks.map((block) => block.key)).toEqual(["+1202555"]);
    const metrics = await scrape(s.url);
    expect(metrics.sum("verifyd_fraud_decisions_total", { guard: "conversion_guard", decision: "would_block", country: "US" })).toBe(5);
    expect(metrics.sum("verifyd_fraud_decisions_total", { guard: "conversion_guard", decision: "block" })).toBe(0);
    expect(metrics.sum("verifyd_fraud_decisions_total", { guard: "geo", decision: "allow", country: "US" })).toBe(55);
  });
});
