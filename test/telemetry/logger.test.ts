import { Writable } from "node:stream";
import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace";
import { describe, expect, test } from "vitest";
import { createLogger } from "../../src/telemetry/logger.js";
import { startTelemetry } from "../../src/telemetry/telemetry.js";

function capture(level = "debug") {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger(level, destination), lines };
}

describe("structured logs", () => {
  test("a line logged inside a span carries its trace and span ids", async () => {
    const telemetry = startTelemetry({ env: {}, spanExporter: new InMemorySpanExporter() });
    const { logger, lines } = capture();
    const span = telemetry.tracer!.startSpan("work");
    context.with(trace.setSpan(context.active(), span), () => logger.info({ provider: "sim-a" }, "inside"));
    span.end();
    logger.info({}, "outside");
    await telemetry.shutdown();

    expect(lines[0]).toMatchObject({ msg: "inside", trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, service: "verifyd" });
    expect(lines[1]!.trace_id).toBeUndefined();
  });

  test("phone numbers are masked and codes redacted, whatever key or message they come in", () => {
    const { logger, lines } = capture();
    logger.warn(
      { phoneNumber: "+4915123456789", to: "+12025550100", code: "482913", verification: { phoneNumber: "+33612345678", code: 123456 }, provider: "sim-a" },
      "provider refused +4915123456789",
    );
    logger.error({ err: new Error("The 'To' number +12025550100 is not valid"), code: "ECONNRESET" }, "send failed");

    const text = JSON.stringify(lines);
    for (const secret of ["+4915123456789", "+12025550100", "+33612345678", "482913", "123456"]) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ phoneNumber: "+49*******6789", to: "+12*****0100", code: "[redacted]", msg: "provider refused +49*******6789" });
    expect(lines[0]!.verification).toEqual({ phoneNumber: "+33*****5678", code: "[redacted]" });
    // Not a code: error codes and other values under the same keys stay readable.
    expect(lines[1]).toMatchObject({ code: "ECONNRESET", err: { message: "The 'To' number +12*****0100 is not valid" } });
  });

  test("the level is configurable: below it nothing is written", () => {
    const { logger, lines } = capture("warn");
    logger.info({}, "quiet");
    logger.warn({}, "loud");
    expect(lines.map((line) => line.msg)).toEqual(["loud"]);
  });
});
