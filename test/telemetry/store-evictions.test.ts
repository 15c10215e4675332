import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";
import { scrape } from "./prometheus.js";
import { inMemoryTelemetry } from "./scenario.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: { store: { type: "memory", max_records: 2 } }, telemetry: inMemoryTelemetry(false).telemetry });
});
afterAll(async () => server?.close());

test("verifyd_store_evictions_total counts the finished verifications the memory store dropped to stay within max_records", async () => {
  const before = (await scrape(server.url)).sum("verifyd_store_evictions_total");
  for (const phoneNumber of ["+12025550701", "+12025550702", "+12025550703", "+12025550704"]) {
    const { verification } = await server.connectH2.start({ phoneNumber });
    await server.connectH2.cancel({ verificationId: verification!.id });
  }

  const metrics = await scrape(server.url);

  expect(metrics.types.get("verifyd_store_evictions_total")).toBe("counter");
  expect(metrics.sum("verifyd_store_evictions_total") - before).toBe(2);
});
