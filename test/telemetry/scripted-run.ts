/**
 * A scripted run through every path the metrics describe, against the
 * telemetry scenario's numbers (scenario.ts). What it does, and so what
 * /metrics must say afterwards (US unless noted):
 *
 * 1. fast failover: sim-a rejects (no_route), sim-b accepts and delivers; the code is checked: verified, credited to sim-b
 * 2. slow failover: sim-a accepts and drops, sim-b after the window (no_receipt), delivered
 * 3. UNDELIVERED from sim-a, failover to sim-b (undelivered), delivered
 * 4. GB ×3: sim-flaky refuses (unavailable) twice, its breaker opens, the third Start skips it (breaker_open); sim-b (GB price) delivers all three
 * 5. one number started 4 times with a per-phone limit of 3: one send, two answered from the active verification, one RESOURCE_EXHAUSTED
 * 6. FR: sim-down refuses (auth), nothing else is routed: failed
 * 7. a Watch stream on a verification sim-a delivers, open while the metrics are read (watchStreamsWhileOpen), closed after
 */
import { expect } from "vitest";
import { eventually } from "../support/eventually.js";
import type { TestServer } from "../support/server.js";
import { type Samples, scrape } from "./prometheus.js";

export const SCRIPT = {
  fastFailover: "+12025550111",
  slowFailover: "+12025550121",
  undelivered: "+12025550131",
  britain: ["+447400123401", "+447400123402", "+447400123403"],
  rateLimited: "+12025550109",
  france: "+33612345601",
  watched: "+12025550108",
} as const;

export const PER_PHONE_LIMIT = 3;

export interface ScriptedRun {
  /** What /metrics said while a Watch stream was open. */
  watchStreamsWhileOpen: number;
}

/** Runs the script; resolves once every receipt and resend has landed. */
export async function scriptedRun(server: TestServer): Promise<ScriptedRun> {
  const { connectH1: connect, grpc, grpcWeb } = server;

  const fast = await connect.start({ phoneNumber: SCRIPT.fastFailover });
  const code = await server.codeSentTo(SCRIPT.fastFailover);
  await connect.check({ verificationId: fast.verification!.id, code: code === "000000" ? "111111" : "000000" });
  await eventually(async () => expect((await server.app.store.get(fast.verification!.id))?.status).toBe("delivered"));
  expect((await connect.check({ verificationId: fast.verification!.id, code })).approved).toBe(true);

  const slow = await grpc.start({ phoneNumber: SCRIPT.slowFailover });
  const undelivered = await grpcWeb.start({ phoneNumber: SCRIPT.undelivered });

  const britain: string[] = [];
  for (const phoneNumber of SCRIPT.britain) britain.push((await connect.start({ phoneNumber })).verification!.id);
  expect(server.app.breakers.state("sim-flaky", "sms")).toBe("open");

  for (let i = 0; i < PER_PHONE_LIMIT; i++) await connect.start({ phoneNumber: SCRIPT.rateLimited });
  await expect(connect.start({ phoneNumber: SCRIPT.rateLimited })).rejects.toThrow(/too many requests/);

  await expect(connect.start({ phoneNumber: SCRIPT.france })).rejects.toThrow(/no provider could take the message/);

  const watched = await connect.start({ phoneNumber: SCRIPT.watched });
  const abort = new AbortController();
  let seen = 0;
  const watching = (async () => {
    try {
      for await (const _ of grpc.watch({ verificationId: watched.verification!.id }, { signal: abort.signal })) seen++;
    } catch {
      // Aborted on purpose.
    }
  })();
  await eventually(() => expect(seen).toBeGreaterThan(0));
  const watchStreamsWhileOpen = (await scrape(server.url)).sum("verifyd_watch_streams");
  abort.abort();
  await watching;

  // Every receipt and the slow failover's resend have landed.
  await eventually(
    async () => {
      for (const id of [slow.verification!.id, undelivered.verification!.id, ...britain]) {
        const record = await server.app.store.get(id);
        expect(
          record?.attempts.some((attempt) => attempt.provider === "sim-b" && attempt.status === "delivered"),
          `${id} delivered through sim-b`,
        ).toBe(true);
      }
    },
    { timeoutMs: 10_000 },
  );
  await eventually(async () => expect((await scrape(server.url)).sum("verifyd_watch_streams")).toBe(0));
  return { watchStreamsWhileOpen };
}

/** The counters the script must have produced, for a test to compare with a scrape. */
export function expectScriptedCounts(metrics: Samples): void {
  const US = { country: "US", channel: "sms" };
  const GB = { country: "GB", channel: "sms" };
  // sim-a: slow failover, undelivered, the rate-limited number's one send, the watched one.
  expect(metrics.sum("verifyd_sends_total", { provider: "sim-a", ...US, outcome: "accepted" })).toBe(4);
  expect(metrics.sum("verifyd_sends_total", { provider: "sim-a", ...US, outcome: "rejected", error_kind: "no_route" })).toBe(1);
  expect(metrics.sum("verifyd_sends_total", { provider: "sim-b", ...US, outcome: "accepted" })).toBe(3);
  expect(metrics.sum("verifyd_sends_total", { provider: "sim-b", ...GB, outcome: "accepted" })).toBe(3);
  expect(metrics.sum("verifyd_sends_total", { provider: "sim-flaky", ...GB, outcome: "rejected", error_kind: "unavailable" })).toBe(2);
  expect(metrics.sum("verifyd_sends_total", { provider: "sim-down", country: "FR", outcome: "rejected", error_kind: "auth" })).toBe(1);
  expect(metrics.sum("verifyd_sends_total")).toBe(4 + 1 + 3 + 3 + 2 + 1);

  expect(metrics.sum("verifyd_receipts_total", { provider: "sim-b", ...US, status: "delivered" })).toBe(3);
  expect(metrics.sum("verifyd_receipts_total", { provider: "sim-b", ...GB, status: "delivered" })).toBe(3);
  expect(metrics.sum("verifyd_receipts_total", { provider: "sim-a", ...US, status: "undelivered" })).toBe(1);
  expect(metrics.sum("verifyd_receipts_total", { provider: "sim-a", ...US, status: "delivered" })).toBe(2);

  expect(metrics.sum("verifyd_failovers_total", { provider: "sim-a", ...US, reason: "rejected" })).toBe(1);
  expect(metrics.sum("verifyd_failovers_total", { provider: "sim-a", ...US, reason: "no_receipt" })).toBe(1);
  expect(metrics.sum("verifyd_failovers_total", { provider: "sim-a", ...US, reason: "undelivered" })).toBe(1);
  expect(metrics.sum("verifyd_failovers_total", { provider: "sim-flaky", ...GB, reason: "rejected" })).toBe(2);
  expect(metrics.sum("verifyd_failovers_total", { provider: "sim-flaky", ...GB, reason: "breaker_open" })).toBe(1);
  expect(metrics.sum("verifyd_failovers_total")).toBe(6);

  expect(metrics.sum("verifyd_spend_total", { provider: "sim-a", ...US })).toBeCloseTo(4 * 0.01, 9);
  expect(metrics.sum("verifyd_spend_total", { provider: "sim-b", ...US })).toBeCloseTo(3 * 0.02, 9);
  expect(metrics.sum("verifyd_spend_total", { provider: "sim-b", ...GB })).toBeCloseTo(3 * 0.05, 9);

  expect(metrics.sum("verifyd_verifications_verified_total", { provider: "sim-b", ...US })).toBe(1);
  expect(metrics.sum("verifyd_verifications_verified_total")).toBe(1);
  expect(metrics.sum("verifyd_verifications_finished_total", { ...US, status: "verified" })).toBe(1);
  expect(metrics.sum("verifyd_verifications_finished_total", { country: "FR", status: "failed" })).toBe(1);
  expect(metrics.sum("verifyd_time_to_verify_seconds_count", { provider: "sim-b", ...US })).toBe(1);
  expect(metrics.sum("verifyd_time_to_delivery_seconds_count", { provider: "sim-b", ...US })).toBe(3);

  expect(metrics.sum("verifyd_breaker_state", { provider: "sim-flaky", channel: "sms" })).toBe(2);
  expect(metrics.sum("verifyd_breaker_state", { provider: "sim-a", channel: "sms" })).toBe(0);
  expect(metrics.sum("verifyd_breaker_transitions_total", { provider: "sim-flaky", channel: "sms", state: "open" })).toBe(1);

  expect(metrics.sum("verifyd_rate_limit_rejections_total", { rpc_method: "Start" })).toBe(1);
  expect(metrics.sum("verifyd_rpc_duration_seconds_count", { rpc_method: "Start", rpc_code: "resource_exhausted" })).toBe(1);
  expect(metrics.sum("verifyd_rpc_duration_seconds_count", { rpc_method: "Start", rpc_code: "unavailable" })).toBe(1);
  expect(metrics.sum("verifyd_rpc_duration_seconds_count", { rpc_method: "Check", rpc_code: "ok" })).toBe(2);
  expect(metrics.sum("verifyd_timer_lateness_seconds_count")).toBeGreaterThan(0);
}
