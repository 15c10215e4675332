/**
 * The OpenTelemetry Node SDK for the process entry point, loaded only when
 * tracing is on (telemetry.ts, startProcessTelemetry): the SDK brings every
 * exporter it can build and several hundred modules with them.
 */
import { type Meter, metrics, propagation, type TextMapPropagator, type Tracer, trace } from "@opentelemetry/api";
import type { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import { MongoDBInstrumentation } from "@opentelemetry/instrumentation-mongodb";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { NodeSDK } from "@opentelemetry/sdk-node";
import type { TelemetrySettings } from "./settings.js";

export interface NodeSdkParts {
  tracer: Tracer | undefined;
  meter: Meter | undefined;
  propagator: TextMapPropagator;
  stop: () => Promise<void>;
}

/** The Node SDK, registered with the API for everything in the process. */
export function startNodeSdk(settings: TelemetrySettings, prometheus: PrometheusExporter | undefined, scope: { name: string; version: string }): NodeSdkParts {
  const tracing = settings.traces !== undefined;
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    // undefined: the SDK builds the exporter from OTEL_* itself (protocol, headers, OTEL_BSP_* batching).
    spanProcessors: tracing ? undefined : [],
    metricReaders: prometheus ? [prometheus] : [],
    // Logs go to stdout through pino, with trace ids; the SDK should not export logs of its own.
    logRecordProcessors: [],
    instrumentations: tracing ? [httpClientInstrumentation(), mongoInstrumentation()] : [],
  });
  sdk.start();
  return {
    tracer: tracing ? trace.getTracer(scope.name, scope.version) : undefined,
    meter: prometheus ? metrics.getMeter(scope.name, scope.version) : undefined,
    // The one the SDK set up from OTEL_PROPAGATORS (W3C trace context and baggage unless told otherwise).
    propagator: { inject: (...args) => propagation.inject(...args), extract: (...args) => propagation.extract(...args), fields: () => propagation.fields() },
    stop: () => sdk.shutdown(),
  };
}

/** Outgoing provider calls (fetch) as child spans of their attempt; none outside one, so exporters' own calls stay out. */
function httpClientInstrumentation(): Instrumentation {
  return new UndiciInstrumentation({ requireParentforSpans: true });
}

/**
 * MongoDB commands as child spans of the work that issued them. It hooks the
 * driver as it is loaded, so only the process entry point can have it. The
 * statement is recorded with its values replaced ("?"): queries carry phone
 * numbers. Background polling outside any span is left out.
 */
function mongoInstrumentation(): Instrumentation {
  return new MongoDBInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true });
}
