import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ProviderCaller } from "../../src/gateway/provider-caller.js";
import type { OutboundMessage, ProviderAdapter } from "../../src/providers/adapter.js";
import { startTelemetry, type Telemetry } from "../../src/telemetry/telemetry.js";
import { TracingCaller } from "../../src/telemetry/tracing-caller.js";

/** A provider whose API is plain HTTP (as every real adapter's is, through fetch). */
function httpProvider(url: string): ProviderAdapter {
  return {
    name: "http-provider",
    type: "test",
    channels: ["sms"],
    cost: 0,
    async send(message, signal) {
      const response = await fetch(`${url}/v1/messages`, { method: "POST", body: JSON.stringify({ to: message.to }), signal });
      return { providerMessageId: ((await response.json()) as { id: string }).id };
    },
  };
}

const plainCaller: ProviderCaller = {
  async send(adapter, message) {
    const result = await adapter.send(message, new AbortController().signal);
    return { ok: true, providerMessageId: result.providerMessageId };
  },
};

const message: OutboundMessage = {
  to: "+12025550100",
  channel: "sms",
  code: "123456",
  body: "verifyd code: 123456",
  locale: "en",
  idempotencyKey: "ver_x-attempt-1",
  reference: { verificationId: "ver_x", attemptNumber: 1 },
  callbackUrl: "",
  attemptContext: { country: "US", reason: { kind: "start" } },
};

describe("outgoing provider HTTP calls", () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let api: Server;
  let url: string;
  const received: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    telemetry = startTelemetry({ env: {}, spanExporter: exporter, httpClientSpans: true });
    api = createServer((request, response) => {
      received.push(request.headers);
      request.resume();
      request.on("end", () => response.end(JSON.stringify({ id: "msg-1" })));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await telemetry?.shutdown();
    await new Promise((resolve) => api?.close(resolve));
  });

  test("appear as child spans of their attempt", async () => {
    const caller = new TracingCaller(plainCaller, telemetry.tracer!, () => "closed");
    expect(await caller.send(httpProvider(url), message)).toEqual({ ok: true, providerMessageId: "msg-1" });

    const spans = exporter.getFinishedSpans();
    const attempt = spans.find((span) => span.name === "send http-provider")!;
    const http = spans.find((span) => span.kind === SpanKind.CLIENT && span !== attempt);
    expect(http, `an HTTP client span; saw ${spans.map((span) => span.name).join(", ")}`).toBeDefined();
    expect(http!.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId);
    expect(http!.attributes["http.request.method"]).toBe("POST");
    expect(received).toHaveLength(1);
  });

  test("outside an attempt (an exporter's own calls, say) make no span", async () => {
    exporter.reset();
    await fetch(`${url}/elsewhere`).then((response) => response.text());
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
