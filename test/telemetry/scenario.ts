/**
 * The telemetry suites' scenario, layered over the test defaults by
 * startTestServer({ config: telemetryScenario(), telemetry }), with traces
 * going to an in-memory exporter (inMemoryTelemetry) and metrics read back
 * through GET /metrics (prometheus.ts).
 *
 * Scenario numbers (the simulators' rules key on these prefixes):
 *
 * | number          | what happens                                                           |
 * |-----------------|------------------------------------------------------------------------|
 * | +1202555010x    | sim-a accepts; DELIVERED after 30 ms                                  |
 * | +1202555011x    | sim-a rejects (no_route): fast failover to sim-b (DELIVERED, 60 ms)   |
 * | +1202555012x    | sim-a drops it: slow failover to sim-b after the 300 ms window        |
 * | +1202555013x    | sim-a reports UNDELIVERED after 20 ms: failover to sim-b at once      |
 * | +4474001234xx   | GB: sim-flaky first, always `unavailable`; its breaker opens after 2  |
 * | +336123456xx    | FR: only sim-down, which refuses (auth): Start answers UNAVAILABLE     |
 * | any other       | sim-a accepts; DELIVERED after 30 ms                                  |
 *
 * The spans' own times are the wall clock's, so the delivery window here
 * runs on real time too.
 */
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { startTelemetry, type Telemetry } from "../../src/telemetry/telemetry.js";
import type { ConfigLayer } from "../support/config.js";

export const DELIVERY_WINDOW_MS = 300;

export interface TelemetryScenarioOptions {
  perPhone?: number;
  codeTtl?: string;
}

export function telemetryScenario(options: TelemetryScenarioOptions = {}): ConfigLayer {
  return {
    server: { shutdown_grace: "2s" },
    policy: {
      code_length: 6,
      code_ttl: options.codeTtl ?? "20s",
      delivery_window: `${DELIVERY_WINDOW_MS}ms`,
      max_check_attempts: 3,
      resend_min_interval: "10s",
      auto_escalate: false,
    },
    rate_limits: { per_phone: { limit: options.perPhone ?? 1000 } },
    scoring: { min_samples: 1 },
    // The guard at its defaults: every Start is judged, so verifyd_fraud_decisions_total is served (the alert rules query it).
    fraud: { mode: "enforce" },
    providers: [
      {
        name: "sim-a",
        type: "simulator",
        channels: ["sms"],
        cost: 0.01,
        timeout: "500ms",
        simulate: {
          default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 30 },
          rules: [
            { match: "+1202555011*", outcome: "reject", error: "no_route" },
            { match: "+1202555012*", outcome: "drop" },
            { match: "+1202555013*", outcome: "undelivered", dlr_delay_ms: 20 },
          ],
        },
      },
      {
        name: "sim-b",
        type: "simulator",
        channels: ["sms"],
        cost: 0.02,
        cost_by_country: { GB: 0.05 },
        simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 60 } },
      },
      {
        name: "sim-flaky",
        type: "simulator",
        channels: ["sms"],
        cost: 0.005,
        breaker: { error_threshold_percentage: 50, volume_threshold: 2, reset_timeout: "60s", rolling_window: "60s" },
        simulate: { default: { outcome: "reject", error: "unavailable" } },
      },
      {
        name: "sim-down",
        type: "simulator",
        channels: ["sms"],
        simulate: { default: { outcome: "reject", error: "auth" } },
      },
      {
        name: "sim-voice",
        type: "simulator",
        channels: ["voice"],
        cost: 0.03,
        simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 50 } },
      },
    ],
    routing: {
      strategy: "static",
      default: ["sim-a", "sim-b", "sim-voice"],
      countries: {
        GB: ["sim-flaky", "sim-b", "sim-voice"],
        FR: ["sim-down"],
      },
    },
  };
}

/** Metrics on (the default) and, unless `tracing` is false, traces into memory; nothing from the real environment. */
export function inMemoryTelemetry(tracing = true): { telemetry: Telemetry; spans: InMemorySpanExporter } {
  const spans = new InMemorySpanExporter();
  const telemetry = startTelemetry({ env: {}, spanExporter: tracing ? spans : undefined });
  return { telemetry, spans };
}
