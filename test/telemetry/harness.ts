/**
 * The telemetry suites' harness: a real verifyd on a free port whose traces
 * go to an in-memory exporter and whose metrics are read back through
 * GET /metrics, driven by real Connect, gRPC and gRPC-Web clients.
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
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { SpanContext } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";
import { parseConfig } from "../../src/config/load-config.js";
import { type App, startApp } from "../../src/server/app.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { startTelemetry, type Telemetry } from "../../src/telemetry/telemetry.js";

export const DELIVERY_WINDOW_MS = 300;

export interface TelemetryTestOptions {
  perPhone?: number;
  codeTtl?: string;
  /** false: metrics only. */
  tracing?: boolean;
  /** The `store:` value as YAML flow mapping; memory by default. */
  store?: string;
  logLevel?: string;
}

export function telemetryConfigYaml(options: TelemetryTestOptions = {}): string {
  return `
server: { port: 0, host: 127.0.0.1, shutdown_grace: 2s }
store: ${options.store ?? "{ type: memory }"}
security: { code_hmac_key: "telemetry-test-hmac-key-0123456789" }
log: { level: ${options.logLevel ?? "silent"} }
policy: { code_length: 6, code_ttl: ${options.codeTtl ?? "20s"}, delivery_window: ${DELIVERY_WINDOW_MS}ms, max_check_attempts: 3, resend_min_interval: 10s, auto_escalate: false }
rate_limits:
  per_phone: { limit: ${options.perPhone ?? 1000}, window: 10m }
  per_ip: { limit: 1000, window: 10m }
  check_per_ip: { limit: 1000, window: 10m }
timers: { poll_interval: 20ms }
scoring: { min_samples: 1 }
providers:
  - name: sim-a
    type: simulator
    channels: [sms]
    cost: 0.01
    timeout: 500ms
    simulate:
      default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 30 }
      rules:
        - { match: "+1202555011*", outcome: reject, error: no_route }
        - { match: "+1202555012*", outcome: drop }
        - { match: "+1202555013*", outcome: undelivered, dlr_delay_ms: 20 }
  - name: sim-b
    type: simulator
    channels: [sms]
    cost: 0.02
    cost_by_country: { GB: 0.05 }
    simulate:
      default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 60 }
  - name: sim-flaky
    type: simulator
    channels: [sms]
    cost: 0.005
    breaker: { error_threshold_percentage: 50, volume_threshold: 2, reset_timeout: 60s, rolling_window: 60s }
    simulate:
      default: { outcome: reject, error: unavailable }
  - name: sim-down
    type: simulator
    channels: [sms]
    simulate:
      default: { outcome: reject, error: auth }
  - name: sim-voice
    type: simulator
    channels: [voice]
    cost: 0.03
    simulate:
      default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 50 }
routing:
  strategy: static
  default: [sim-a, sim-b, sim-voice]
  countries:
    GB: [sim-flaky, sim-b, sim-voice]
    FR: [sim-down]
`;
}

export type VerificationClient = Client<typeof VerificationService>;

export interface TelemetryTestServer {
  readonly app: App;
  readonly telemetry: Telemetry;
  readonly spans: InMemorySpanExporter;
  /** Connect (JSON over HTTP/1.1), gRPC (HTTP/2) and gRPC-Web (HTTP/1.1) clients. */
  readonly connect: VerificationClient;
  readonly grpc: VerificationClient;
  readonly grpcWeb: VerificationClient;
  /** The code the simulators sent to `to` (waiting for it). */
  codeSentTo(to: string): Promise<string>;
  /** GET /metrics, parsed. */
  scrape(): Promise<Samples>;
  close(): Promise<void>;
}

export async function startTelemetryTestApp(options: TelemetryTestOptions = {}): Promise<TelemetryTestServer> {
  const spans = new InMemorySpanExporter();
  // Metrics on (the default), tracing into memory; nothing from the real environment.
  const telemetry = startTelemetry({ env: {}, spanExporter: options.tracing === false ? undefined : spans });
  const config = parseConfig(telemetryConfigYaml(options), {}, "telemetry test config");
  const app = await startApp(config, { port: 0, host: "127.0.0.1", logger: createLogger("silent"), telemetry });
  const session = new Http2SessionManager(app.url);
  return {
    app,
    telemetry,
    spans,
    connect: createClient(VerificationService, createConnectTransport({ baseUrl: app.url, httpVersion: "1.1", useBinaryFormat: false })),
    grpc: createClient(VerificationService, createGrpcTransport({ baseUrl: app.url, sessionManager: session })),
    grpcWeb: createClient(VerificationService, createGrpcWebTransport({ baseUrl: app.url, httpVersion: "1.1" })),
    async codeSentTo(to) {
      const body = await eventually(async () => {
        const response = await fetch(`${app.url}/sim/outbox?to=${encodeURIComponent(to)}`);
        const { messages } = (await response.json()) as { messages: Array<{ body: string }> };
        if (messages.length === 0) throw new Error(`nothing sent to ${to} yet`);
        return messages[0]!.body;
      });
      const match = /\d{6}/.exec(body);
      if (!match) throw new Error(`no code in ${JSON.stringify(body)}`);
      return match[0];
    },
    async scrape() {
      const response = await fetch(`${app.url}/metrics`);
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return parsePrometheusText(await response.text());
    },
    async close() {
      await app.close();
      session.abort();
      await telemetry.shutdown();
    },
  };
}

// --- spans ---------------------------------------------------------------------

export function attempts(spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans.filter((span) => span.name.startsWith("send ")).sort((a, b) => Number(a.attributes["verifyd.attempt.number"]) - Number(b.attributes["verifyd.attempt.number"]));
}

export function spansOf(exporter: InMemorySpanExporter, verificationId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.attributes["verifyd.verification.id"] === verificationId);
}

export function isChildOf(child: ReadableSpan, parent: ReadableSpan | SpanContext): boolean {
  const context = "spanContext" in parent ? parent.spanContext() : parent;
  return child.parentSpanContext?.spanId === context.spanId && child.spanContext().traceId === context.traceId;
}

// --- Prometheus text -----------------------------------------------------------

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export class Samples {
  constructor(readonly all: readonly Sample[], readonly types: ReadonlyMap<string, string>) {}

  /** Metric family names, as a Prometheus query would name them (counters with _total, histograms with _bucket/_sum/_count). */
  names(): Set<string> {
    return new Set(this.all.map((sample) => sample.name));
  }

  /** The sum of every sample of `name` whose labels include `labels`. */
  sum(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((total, sample) => total + sample.value, 0);
  }

  matching(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.all.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  }
}

/** Parses the Prometheus text exposition format (what GET /metrics serves). */
export function parsePrometheusText(text: string): Samples {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      types.set(name!, type!);
      continue;
    }
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1]!] = label[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    }
    const raw = match[3]!;
    samples.push({ name: match[1]!, labels, value: raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw) });
  }
  return new Samples(samples, types);
}

// --- waiting -------------------------------------------------------------------

/** Retries `assertion` until it passes or `timeoutMs` runs out, then throws its last failure. */
export async function eventually<T>(assertion: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(intervalMs);
    }
  }
}
