import { createRequire } from "node:module";
import { context, type Meter, type TextMapPropagator, type Tracer } from "@opentelemetry/api";
import type * as ContextAsyncHooksModule from "@opentelemetry/context-async-hooks";
import { ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import type * as InstrumentationModule from "@opentelemetry/instrumentation";
import type * as UndiciModule from "@opentelemetry/instrumentation-undici";
import { defaultResource, type Resource, resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import type * as SdkTraceModule from "@opentelemetry/sdk-trace";
import type { Sampler, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from "@opentelemetry/semantic-conventions";
import { type Environment, type TelemetrySettings, type TraceSettings, telemetrySettings } from "./settings.js";

const SCOPE = "verifyd";
const VERSION = "0.1.0";

export interface TelemetryOptions {
  /** Where the OTEL_* settings come from (default: process.env). */
  env?: Environment;
  /** Sends spans here, one by one as they end, instead of where the environment says; turns tracing on (tests). */
  spanExporter?: SpanExporter;
  /** Child spans for outgoing HTTP (fetch/undici) in a non-global setup; process-wide, so off by default there. */
  httpClientSpans?: boolean;
}

/**
 * The OpenTelemetry providers verifyd reports to: a tracer when tracing is
 * configured, a meter when metrics are, and the Prometheus reader behind
 * GET /metrics. With neither configured every instrumentation point is left
 * out entirely, so the hot path pays nothing.
 */
export class Telemetry {
  readonly settings: TelemetrySettings;
  /** undefined: tracing is off. */
  readonly tracer: Tracer | undefined;
  /** undefined: metrics are off. */
  readonly meter: Meter | undefined;
  /**
   * Reads a caller's trace context from request headers: W3C trace context
   * (each header read costs on every request, and verifyd has no use for
   * baggage); under the Node SDK, whatever OTEL_PROPAGATORS names.
   */
  readonly propagator: TextMapPropagator;
  readonly #prometheus: PrometheusExporter | undefined;
  readonly #serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  readonly #stop: () => Promise<void>;
  #stopping: Promise<void> | undefined;

  constructor(parts: {
    settings: TelemetrySettings;
    tracer?: Tracer;
    meter?: Meter;
    prometheus?: PrometheusExporter;
    propagator?: TextMapPropagator;
    stop?: () => Promise<void>;
  }) {
    this.settings = parts.settings;
    this.tracer = parts.tracer;
    this.meter = parts.meter;
    this.propagator = parts.propagator ?? new W3CTraceContextPropagator();
    this.#prometheus = parts.prometheus;
    this.#stop = parts.stop ?? (async () => {});
  }

  /** Telemetry that records nothing: what a benchmark's "off" measures. */
  static off(): Telemetry {
    return new Telemetry({ settings: { serviceName: "verifyd", metrics: "none", warnings: [] } });
  }

  /** The current metrics in the Prometheus text format; undefined when metrics are off. */
  async prometheusText(): Promise<string | undefined> {
    if (!this.#prometheus) return undefined;
    const { resourceMetrics } = await this.#prometheus.collect();
    return this.#serializer.serialize(resourceMetrics);
  }

  /** Exports what is still buffered and stops. Safe to call more than once. */
  shutdown(): Promise<void> {
    this.#stopping ??= this.#stop().catch(() => {});
    return this.#stopping;
  }
}

/**
 * Starts telemetry as the OTEL_* environment configures it (see settings.ts),
 * for an embedded app or a test: providers of its own, nothing registered with
 * the OpenTelemetry API but the context manager.
 *
 * @example
 * const app = await startApp(config, { telemetry: startTelemetry({ env: {} }) });
 */
export function startTelemetry(options: TelemetryOptions = {}): Telemetry {
  const env = options.env ?? process.env;
  const settings = telemetrySettings(env);
  if (options.spanExporter) settings.traces ??= { exporter: "otlp", protocol: "http/protobuf" };
  return startLocal(settings, prometheusFor(settings), options, env);
}

/**
 * The process entry point's telemetry (`verifyd serve`). With tracing on, the
 * OpenTelemetry Node SDK, registered with the API for the whole process, so
 * libraries' instrumentation (outgoing HTTP through undici, the MongoDB driver)
 * reports into verifyd's traces and the SDK reads its own OTEL_* settings
 * (sampler, batching, exporters, propagators); it must run before the app is
 * loaded. With tracing off there is nothing to register: metrics only, and
 * the SDK (hundreds of modules) is never loaded, which keeps start-up short.
 */
export async function startProcessTelemetry(env: Environment = process.env): Promise<Telemetry> {
  const settings = telemetrySettings(env);
  if (!settings.traces) return startLocal(settings, prometheusFor(settings), {}, env);
  const { startNodeSdk } = await import("./node-sdk.js");
  const prometheus = prometheusFor(settings);
  return new Telemetry({ settings, prometheus, ...startNodeSdk(settings, prometheus, { name: SCOPE, version: VERSION }) });
}

function prometheusFor(settings: TelemetrySettings): PrometheusExporter | undefined {
  // Served on verifyd's own port by the /metrics route; scope labels on every series would only add noise.
  return settings.metrics === "prometheus" ? new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true }) : undefined;
}

/** Embedded apps and tests: providers of their own, nothing registered but the context manager. */
function startLocal(settings: TelemetrySettings, prometheus: PrometheusExporter | undefined, options: TelemetryOptions, env: Environment): Telemetry {
  const resource = defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName, [ATTR_SERVICE_VERSION]: VERSION }));
  const stops: Array<() => Promise<void>> = [];
  const tracer = settings.traces ? startLocalTracing(settings.traces, resource, options, env, stops) : undefined;
  let meter: Meter | undefined;
  if (prometheus) {
    const provider = new MeterProvider({ resource, readers: [prometheus] });
    meter = provider.getMeter(SCOPE, VERSION);
    stops.push(() => provider.shutdown());
  }
  return new Telemetry({
    settings,
    tracer,
    meter,
    prometheus,
    stop: async () => {
      for (const stop of stops) await stop();
    },
  });
}

// The tracing SDK is loaded only when tracing is on, and synchronously (startTelemetry returns a
// ready Telemetry): with tracing off, a verifyd never loads it.
const requireModule = createRequire(import.meta.url);

/** A tracer provider of this app's own; adds what stops it to `stops`. */
function startLocalTracing(traces: TraceSettings, resource: Resource, options: TelemetryOptions, env: Environment, stops: Array<() => Promise<void>>): Tracer {
  const sdk = requireModule("@opentelemetry/sdk-trace") as typeof SdkTraceModule;
  ensureContextManager();
  const processor: SpanProcessor = options.spanExporter ? new sdk.SimpleSpanProcessor({ exporter: options.spanExporter }) : spanProcessorFor(sdk, traces, env);
  const provider = new sdk.TracerProvider({ resource, spanProcessors: [processor], sampler: samplerFrom(sdk, env) });
  stops.push(() => provider.shutdown());
  if (options.httpClientSpans) {
    // Only when asked for (tests): the spans must be on before this returns.
    const { registerInstrumentations } = requireModule("@opentelemetry/instrumentation") as typeof InstrumentationModule;
    const { UndiciInstrumentation } = requireModule("@opentelemetry/instrumentation-undici") as typeof UndiciModule;
    const instrumentation = new UndiciInstrumentation({ requireParentforSpans: true });
    const unregister = registerInstrumentations({ instrumentations: [instrumentation], tracerProvider: provider });
    stops.unshift(async () => unregister());
  }
  return provider.getTracer(SCOPE, VERSION);
}

function spanProcessorFor(sdk: typeof SdkTraceModule, traces: TraceSettings, env: Environment): SpanProcessor {
  if (traces.exporter === "console") return new sdk.SimpleSpanProcessor({ exporter: new sdk.ConsoleSpanExporter() });
  const exporter = lazyExporter(async () =>
    traces.protocol === "grpc"
      ? new (await import("@opentelemetry/exporter-trace-otlp-grpc")).OTLPTraceExporter({ url: traces.url })
      : new (await import("@opentelemetry/exporter-trace-otlp-proto")).OTLPTraceExporter({ url: traces.url }),
  );
  // The same OTEL_BSP_* knobs the Node SDK reads; a full queue drops spans rather than slowing requests.
  return new sdk.BatchSpanProcessor({
    exporter,
    maxQueueSize: positiveInteger(env.OTEL_BSP_MAX_QUEUE_SIZE),
    maxExportBatchSize: positiveInteger(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE),
    scheduledDelayMillis: positiveInteger(env.OTEL_BSP_SCHEDULE_DELAY),
    exportTimeoutMillis: positiveInteger(env.OTEL_BSP_EXPORT_TIMEOUT),
  });
}

/**
 * An exporter whose module is loaded when it is first needed (the OTLP gRPC
 * exporter alone brings grpc-js): the first batch waits for it, later ones
 * go straight through.
 */
export function lazyExporter(load: () => Promise<SpanExporter>): SpanExporter {
  let loading: Promise<SpanExporter> | undefined;
  const exporter = () => (loading ??= load());
  return {
    export(spans, done) {
      exporter().then(
        (inner) => inner.export(spans, done),
        (error: unknown) => done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    },
    async shutdown() {
      if (loading) await (await loading).shutdown();
    },
    async forceFlush() {
      if (loading) await (await loading).forceFlush?.();
    },
  };
}

/** OTEL_TRACES_SAMPLER and its argument, as the Node SDK reads them; parent-based always-on by default. */
function samplerFrom(sdk: typeof SdkTraceModule, env: Environment): Sampler {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = sdk;
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG);
  const traceIdRatio = () => new TraceIdRatioBasedSampler(Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? ratio : 1);
  switch (env.OTEL_TRACES_SAMPLER?.trim().toLowerCase()) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return traceIdRatio();
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: traceIdRatio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function positiveInteger(text: string | undefined): number | undefined {
  const value = Number(text);
  return text && Number.isInteger(value) && value > 0 ? value : undefined;
}

let contextManagerReady = false;

/**
 * Spans follow async work only with a context manager. The API holds one per
 * process; the first to register wins, and any AsyncLocalStorage-based one
 * (the Node SDK's included) serves every verifyd in the process.
 */
function ensureContextManager(): void {
  if (contextManagerReady) return;
  const { AsyncLocalStorageContextManager } = requireModule("@opentelemetry/context-async-hooks") as typeof ContextAsyncHooksModule;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
  contextManagerReady = true;
}
