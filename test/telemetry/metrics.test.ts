import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTelemetry } from "../../src/telemetry/telemetry.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { type Samples, scrape } from "./prometheus.js";
import { inMemoryTelemetry, telemetryScenario } from "./scenario.js";
import { expectScriptedCounts, PER_PHONE_LIMIT, type ScriptedRun, scriptedRun } from "./scripted-run.js";

describe("GET /metrics after a scripted run", () => {
  let server: TestServer;
  let run: ScriptedRun;
  let metrics: Samples;

  beforeAll(async () => {
    // Metrics only: the counters must not depend on tracing being on.
    server = await startTestServer({ config: telemetryScenario({ perPhone: PER_PHONE_LIMIT }), telemetry: inMemoryTelemetry(false).telemetry });
    run = await scriptedRun(server);
    metrics = await scrape(server.url);
  }, 30_000);
  afterAll(async () => server?.close());

  test("serves the Prometheus text format with the service named in target_info", async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.matching("target_info")[0]?.labels.service_name).toBe("verifyd");
    expect(metrics.types.get("verifyd_sends_total")).toBe("counter");
    expect(metrics.types.get("verifyd_time_to_delivery_seconds")).toBe("histogram");
    expect(metrics.types.get("verifyd_breaker_state")).toBe("gauge");
  });

  test("the counters match what happened: sends, receipts, failovers by reason, spend, successes, breakers, rate limits", () => {
    expectScriptedCounts(metrics);
  });

  test("cost per success is derivable: spend of the credited provider over its successes", () => {
    const series = { provider: "sim-b", country: "US", channel: "sms" };
    expect(metrics.sum("verifyd_spend_total", series) / metrics.sum("verifyd_verifications_verified_total", series)).toBeCloseTo(0.06, 9);
  });

  test("provider scores are exported once the scorer has samples", () => {
    const score = metrics.matching("verifyd_provider_score", { provider: "sim-b", country: "US", channel: "sms" });
    expect(score).toHaveLength(1);
    expect(score[0]!.value).toBeGreaterThan(0);
    expect(score[0]!.value).toBeLessThanOrEqual(1);
  });

  test("open Watch streams are counted while open and no longer once closed", () => {
    expect(run.watchStreamsWhileOpen).toBe(1);
    expect(metrics.sum("verifyd_watch_streams")).toBe(0);
  });

  test("labels stay bounded: no phone number, verification id or code appears anywhere", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).not.toMatch(/\+\d{6,}/);
    expect(text).not.toContain("ver_");
    const labelNames = new Set(metrics.all.filter((sample) => sample.name !== "target_info").flatMap((sample) => Object.keys(sample.labels)));
    for (const name of labelNames) {
      expect([
        "provider",
        "country",
        "channel",
        "outcome",
        "error_kind",
        "status",
        "reason",
        "state",
        "rpc_service",
        "rpc_method",
        "rpc_code",
        "le",
        "guard",
        "decision",
      ]).toContain(name);
    }
  });
});

describe("with metrics off", () => {
  test("OTEL_METRICS_EXPORTER=none: GET /metrics answers 404", async () => {
    const telemetry = startTelemetry({ env: { OTEL_METRICS_EXPORTER: "none" } });
    expect(telemetry.meter).toBeUndefined();
    const server = await startTestServer({ config: telemetryScenario(), telemetry });
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
