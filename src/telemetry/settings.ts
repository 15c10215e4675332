/**
 * What the standard OTEL_* environment variables ask of verifyd, decided in
 * one place so the process entry point, embedded apps and tests agree.
 *
 * Tracing is off unless asked for: an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or an
 * explicit OTEL_TRACES_EXPORTER. Unlike the SDK's own default (export to
 * localhost:4318 whatever happens), a verifyd nobody configured sends nothing
 * and pays nothing per request. Metrics are on by default and served as
 * Prometheus text on verifyd's own port at GET /metrics.
 */

export type OtlpProtocol = "http/protobuf" | "grpc";

export interface TraceSettings {
  exporter: "otlp" | "console";
  protocol: OtlpProtocol;
  /** The traces URL: `<endpoint>/v1/traces` for HTTP, the endpoint itself for gRPC; undefined leaves the exporter's default. */
  url?: string;
}

export interface TelemetrySettings {
  serviceName: string;
  /** undefined: no tracing at all (no interceptor, no wrapped caller). */
  traces?: TraceSettings;
  /** "prometheus": served at GET /metrics; "none": no instruments, /metrics answers 404. */
  metrics: "prometheus" | "none";
  /** Settings that were not understood, for a warning at start-up. */
  warnings: string[];
}

export type Environment = Readonly<Record<string, string | undefined>>;

export const DEFAULT_SERVICE_NAME = "verifyd";

/**
 * Reads the OTEL_* variables verifyd honours:
 *
 * - `OTEL_SDK_DISABLED=true` turns everything off.
 * - `OTEL_SERVICE_NAME` (else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else "verifyd").
 * - `OTEL_TRACES_EXPORTER`: `otlp`, `console` or `none`; unset means otlp when an endpoint is set, else off.
 * - `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL` (`http/protobuf`, the default, or `grpc`).
 * - `OTEL_METRICS_EXPORTER`: `prometheus` (the default) or `none`.
 *
 * @example
 * telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).traces
 * // → { exporter: "otlp", protocol: "http/protobuf", url: "http://collector:4318/v1/traces" }
 */
export function telemetrySettings(env: Environment): TelemetrySettings {
  const warnings: string[] = [];
  const serviceName = value(env.OTEL_SERVICE_NAME) ?? serviceNameFromResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES) ?? DEFAULT_SERVICE_NAME;
  if (value(env.OTEL_SDK_DISABLED)?.toLowerCase() === "true") return { serviceName, metrics: "none", warnings };

  const metricsExporters = list(env.OTEL_METRICS_EXPORTER);
  let metrics: TelemetrySettings["metrics"] = "prometheus";
  if (metricsExporters.includes("none")) metrics = "none";
  else if (metricsExporters.some((name) => name !== "prometheus")) {
    warnings.push(`OTEL_METRICS_EXPORTER=${env.OTEL_METRICS_EXPORTER}: verifyd serves metrics only as Prometheus text at GET /metrics (or none)`);
  }

  return { serviceName, traces: traceSettings(env, warnings), metrics, warnings };
}

function traceSettings(env: Environment, warnings: string[]): TraceSettings | undefined {
  const exporters = list(env.OTEL_TRACES_EXPORTER);
  const specificEndpoint = value(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const endpoint = value(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  let exporter: TraceSettings["exporter"];
  if (exporters.length === 0) {
    if (!specificEndpoint && !endpoint) return undefined;
    exporter = "otlp";
  } else if (exporters.includes("none")) {
    return undefined;
  } else if (exporters[0] === "otlp" || exporters[0] === "console") {
    exporter = exporters[0];
    if (exporters.length > 1) warnings.push(`OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}: only the first exporter, ${exporter}, is used`);
  } else {
    warnings.push(`OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER} is not supported (otlp, console, none); tracing is off`);
    return undefined;
  }

  const requested = value(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? value(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? "http/protobuf";
  let protocol: OtlpProtocol = "http/protobuf";
  if (requested === "grpc") protocol = "grpc";
  else if (requested !== "http/protobuf") warnings.push(`OTLP protocol "${requested}" is not supported (http/protobuf, grpc); using http/protobuf`);

  // The spec: a signal-specific endpoint is used as is; the general one gets the signal's path (HTTP only).
  let url: string | undefined;
  if (specificEndpoint) url = specificEndpoint;
  else if (endpoint) url = protocol === "grpc" ? endpoint : `${endpoint.replace(/\/+$/, "")}/v1/traces`;
  return { exporter, protocol, url };
}

function value(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

function list(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item.length > 0);
}

function serviceNameFromResourceAttributes(text: string | undefined): string | undefined {
  for (const pair of (text ?? "").split(",")) {
    const [key, raw] = pair.split("=", 2);
    if (key?.trim() === "service.name" && raw?.trim()) return decodeURIComponent(raw.trim());
  }
  return undefined;
}
