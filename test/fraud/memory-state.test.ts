/** The memory store's fraud state: fixed-size rings per scope, bounded in number, forgetting what left every window. */
import { describe, expect, test } from "vitest";
import { windowShape } from "../../src/fraud/window.js";
import { MemoryFraudState } from "../../src/store/memory/fraud-state.js";
import { T0 } from "../support/clock.js";
import { MINUTE } from "./support.js";

const windows = { velocity: windowShape(10 * MINUTE, 10), conversion: windowShape(60 * MINUTE, 12) };

describe("MemoryFraudState", () => {
  test("files counts in their buckets and reuses a slot once its bucket has left the window", async () => {
    let now = T0;
    const state = new MemoryFraudState(windows, { now: () => now });
    await state.add([
      { kind: "velocity", key: "+1202555", at: T0, sends: 1 },
      { kind: "prefix", key: "+1202555", at: T0, sends: 1, verified: 1 },
    ]);
    await state.add([{ kind: "velocity", key: "+1202555", at: T0 + 30_000, sends: 2 }]);
    let snapshot = await state.snapshot("+1202555", "US", now);
    expect(snapshot.velocity).toEqual([{ start: T0, sends: 3, verified: 0, newSends: 0, newVerified: 0 }]);
    expect(snapshot.prefix.buckets).toEqual([{ start: T0, sends: 1, verified: 1, newSends: 0, newVerified: 0 }]);
    // 11 slots of a minute: T0 + 11 minutes lands in T0's slot, which starts again from zero.
    now = T0 + 11 * MINUTE;
    await state.add([{ kind: "velocity", key: "+1202555", at: now, sends: 1 }]);
    snapshot = await state.snapshot("+1202555", "US", now);
    expect(snapshot.velocity).toEqual([{ start: now, sends: 1, verified: 0, newSends: 0, newVerified: 0 }]);
    // A late increment for a bucket older than the slot's holds nothing back.
    await state.add([{ kind: "velocity", key: "+1202555", at: T0, sends: 5 }]);
    expect((await state.snapshot("+1202555", "US", now)).velocity[0]!.sends).toBe(1);
  });

  test("keeps at most maxScopes prefixes, forgetting the least recently written, and sweeps idle ones once a window", async () => {
    let now = T0;
    const state = new MemoryFraudState(windows, { now: () => now, maxScopes: 3 });
    for (const key of ["+1000", "+1001", "+1002"]) await state.add([{ kind: "prefix", key, at: now, sends: 1 }]);
    await state.add([{ kind: "prefix", key: "+1000", at: now, sends: 1 }]);
    await state.add([{ kind: "prefix", key: "+1003", at: now, sends: 1 }]);
    expect(state.trackedPrefixes).toBe(3);
    expect((await state.snapshot("+1001", "US", now)).prefix.buckets).toEqual([]);
    expect((await state.snapshot("+1000", "US", now)).prefix.buckets[0]!.sends).toBe(2);
    // An hour after the last bucket (5 minutes long) ended, nothing of those prefixes is in any window: the sweep forgets them.
    now = T0 + 65 * MINUTE;
    await state.add([{ kind: "country", key: "US", at: now, sends: 1 }]);
    expect(state.trackedPrefixes).toBe(0);
  });

  test("remembers a prefix's run of verifications, and clear forgets a scope's block and counters", async () => {
    const state = new MemoryFraudState(windows, { now: () => T0 });
    expect(await state.markVerified("+1202555", T0, 60 * MINUTE)).toEqual({ lastVerifiedAt: undefined, provenSince: undefined });
    expect(await state.markVerified("+1202555", T0 + MINUTE, 60 * MINUTE)).toEqual({ lastVerifiedAt: T0, provenSince: T0 });
    // More than a window after the last one, a new run begins.
    await state.markVerified("+1202555", T0 + 62 * MINUTE, 60 * MINUTE);
    expect(await state.markVerified("+1202555", T0 + 63 * MINUTE, 60 * MINUTE)).toEqual({ lastVerifiedAt: T0 + 62 * MINUTE, provenSince: T0 + 62 * MINUTE });
    const block = {
      scope: "country" as const,
      key: "UZ",
      country: "UZ",
      reason: "conversion_guard" as const,
      level: 1,
      since: T0,
      until: T0 + MINUTE,
      figures: {},
      forgetAt: T0 + 2 * MINUTE,
    };
    await state.putBlock(block);
    await state.add([{ kind: "country", key: "UZ", at: T0, sends: 3 }]);
    expect(await state.activeBlocks(T0)).toEqual([block]);
    expect(await state.activeBlocks(T0 + MINUTE)).toEqual([]);
    expect(await state.clear("country", "UZ")).toEqual(block);
    const snapshot = await state.snapshot("+1202555", "UZ", T0);
    expect([snapshot.country.block, snapshot.country.buckets]).toEqual([undefined, []]);
  });
});
