import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { describe, expect, test } from "vitest";
import { telemetrySettings } from "../../src/telemetry/settings.js";
import { startTelemetry } from "../../src/telemetry/telemetry.js";

describe("telemetry settings from OTEL_* variables", () => {
  test("with nothing configured, tracing is off and metrics are served as Prometheus text", () => {
    expect(telemetrySettings({})).toEqual({ serviceName: "verifyd", metrics: "prometheus", warnings: [] });
  });

  test("an OTLP endpoint turns tracing on, over http/protobuf, with the signal path appended", () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).traces).toEqual({
      exporter: "otlp",
      protocol: "http/protobuf",
      url: "http://collector:4318/v1/traces",
    });
  });

  test("a traces-specific endpoint is used as it is, and wins over the general one", () => {
    const settings = telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b:4318/custom" });
    expect(settings.traces?.url).toBe("http://b:4318/custom");
  });

  test("OTEL_EXPORTER_OTLP_PROTOCOL=grpc exports over gRPC to the endpoint as given", () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4317", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }).traces).toEqual({
      exporter: "otlp",
      protocol: "grpc",
      url: "http://collector:4317",
    });
  });

  test("OTEL_TRACES_EXPORTER=otlp turns tracing on without an endpoint (the exporter's default), none turns it off", () => {
    expect(telemetrySettings({ OTEL_TRACES_EXPORTER: "otlp" }).traces).toEqual({ exporter: "otlp", protocol: "http/protobuf", url: undefined });
    expect(telemetrySettings({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).traces).toBeUndefined();
    expect(telemetrySettings({ OTEL_TRACES_EXPORTER: "console" }).traces?.exporter).toBe("console");
  });

  test("the service name comes from OTEL_SERVICE_NAME, else from OTEL_RESOURCE_ATTRIBUTES", () => {
    expect(telemetrySettings({ OTEL_SERVICE_NAME: "verifyd-eu" }).serviceName).toBe("verifyd-eu");
    expect(telemetrySettings({ OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod,service.name=verifyd-us" }).serviceName).toBe("verifyd-us");
  });

  test("OTEL_METRICS_EXPORTER=none turns metrics off; OTEL_SDK_DISABLED turns everything off", () => {
    expect(telemetrySettings({ OTEL_METRICS_EXPORTER: "none" }).metrics).toBe("none");
    const disabled = telemetrySettings({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" });
    expect(disabled.metrics).toBe("none");
    expect(disabled.traces).toBeUndefined();
  });

  test("settings it cannot honour are reported, not silently ignored", () => {
    expect(telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })).toMatchObject({
      traces: { protocol: "http/protobuf" },
      warnings: [expect.stringMatching(/http\/json/)],
    });
    expect(telemetrySettings({ OTEL_TRACES_EXPORTER: "zipkin" })).toMatchObject({ traces: undefined, warnings: [expect.stringMatching(/zipkin/)] });
    expect(telemetrySettings({ OTEL_METRICS_EXPORTER: "otlp" }).warnings).toEqual([expect.stringMatching(/Prometheus/)]);
  });
});

describe("startTelemetry", () => {
  test("without configuration there is no tracer at all, so nothing on the hot path creates spans", async () => {
    const telemetry = startTelemetry({ env: {} });
    expect(telemetry.tracer).toBeUndefined();
    expect(telemetry.meter).toBeDefined();
    await telemetry.shutdown();
  });

  test("OTEL_TRACES_SAMPLER is honoured: a ratio of 0 records nothing, parent-based follows the caller's decision", async () => {
    const none = startTelemetry({ env: { OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0" }, spanExporter: new InMemorySpanExporter() });
    expect(none.tracer!.startSpan("x").isRecording()).toBe(false);
    const always = startTelemetry({ env: {}, spanExporter: new InMemorySpanExporter() });
    expect(always.tracer!.startSpan("x").isRecording()).toBe(true);
    await Promise.all([none.shutdown(), always.shutdown()]);
  });

  test("an endpoint gives a tracer exporting over OTLP; gRPC when asked", async () => {
    for (const protocol of ["http/protobuf", "grpc"]) {
      const telemetry = startTelemetry({
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_METRICS_EXPORTER: "none" },
      });
      expect(telemetry.tracer).toBeDefined();
      expect(telemetry.meter).toBeUndefined();
      await telemetry.shutdown();
    }
  });
});
