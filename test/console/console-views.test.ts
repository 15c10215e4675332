/**
 * The console in a real browser (Debian's Chromium through playwright-core)
 * against a verifyd started here, after a scripted run with fast and slow
 * failover: the providers view counts what each simulator did and follows
 * new sends live; the route explainer puts sim-b first for a German number;
 * the verifications list filters and pages; a timeline shows a slow-failover
 * resend appear as it happens, with no reload. A screenshot of each view goes
 * to test-artifacts/console/.
 */

import type { Browser } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { VerificationStatus } from "../../gen/verify/v1/verify_pb.js";
import { DELIVERY_WINDOW_MS, E2E_SCENARIO } from "../e2e/scenario.js";
import { FakeClock } from "../support/clock.js";
import type { ConfigLayer } from "../support/config.js";
import { eventually } from "../support/eventually.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { BROWSER_TEST_MS, type ConsolePage, expectCount, expectText, launchChromium, markDocument, openConsole } from "./support/browser.js";

// Delivery windows run out when the test moves this clock.
const clock = new FakeClock(Date.now());
let server: TestServer;
let browser: Browser;
let open: ConsolePage | undefined;

const MINUTE = 60_000;
/**
 * The scripted run, batch by batch, each batch in the next of the scorer's
 * 5-minute buckets: sim-a delivers the +1202555010x numbers (the first six are
 * verified); +12025550130 is accepted by sim-a, reported UNDELIVERED and sent
 * by sim-b; then sim-a rejects three (fast failover to sim-b) and drops one
 * (slow failover to sim-b after the delivery window).
 */
const BATCHES = [
  ["+12025550100", "+12025550101"],
  ["+12025550102", "+12025550103", "+12025550130"],
  ["+12025550104", "+12025550105"],
  ["+12025550106", "+12025550107"],
];
const VERIFIED = new Set(["+12025550100", "+12025550101", "+12025550102", "+12025550103", "+12025550104", "+12025550105"]);
const FAST_FAILOVER = ["+12025550110", "+12025550111", "+12025550112"];
const SLOW_FAILOVER = "+12025550120";

// The scenario's simulators with prices, so that the view has costs to show.
const PRICED = (E2E_SCENARIO.providers as ConfigLayer[]).map((provider, index) => ({ ...provider, cost: [0.0075, 0.009, 0.013][index] }));

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({
      config: [
        E2E_SCENARIO,
        {
          providers: PRICED,
          // Half an hour in six buckets: the charts span the whole run.
          scoring: { window: "30m", buckets: 6, min_samples: 3 },
          console: { refresh_interval: "1s" },
          fraud: { mode: "monitor" },
        },
      ],
      clock,
    }),
    launchChromium(),
  ]);
  await scriptedRun();
}, 60_000);

async function scriptedRun(): Promise<void> {
  for (const batch of BATCHES) {
    for (const phoneNumber of batch) {
      const { verification } = await server.connectH2.start({ phoneNumber });
      // Delivered before the clock moves on, so that the delivery window fails nothing over.
      await delivered(verification!.id);
      if (VERIFIED.has(phoneNumber)) await server.connectH2.check({ verificationId: verification!.id, code: await server.codeSentTo(phoneNumber) });
    }
    clock.advance(5 * MINUTE);
  }
  for (const phoneNumber of FAST_FAILOVER) await server.connectH2.start({ phoneNumber });
  await server.connectH2.start({ phoneNumber: SLOW_FAILOVER });
  clock.advance(DELIVERY_WINDOW_MS);
  await server.waitForOutbox(SLOW_FAILOVER, 2);
}

async function delivered(verificationId: string): Promise<void> {
  await eventually(async () => {
    const { verification } = await server.connectH2.get({ verificationId });
    expect(verification?.status).toBe(VerificationStatus.DELIVERED);
  });
}

afterEach(async () => {
  if (open) expect(open.problems, "errors the page reported").toEqual([]);
  await open?.close();
  open = undefined;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The page's text for one figure of a provider's row for the US, SMS. */
const figure = (page: ConsolePage, provider: string, stat: string) =>
  page.page.locator(`section[data-provider="${provider}"] tr[data-country="US"][data-channel="SMS"] [data-stat="${stat}"]`);

describe("the providers view", () => {
  test(
    "shows sim-a's rejections and sim-b's sends with the right counts, breakers and charts, and follows new sends live",
    async () => {
      open = await openConsole(browser, server.url);
      await expectText(figure(open, "sim-a", "rejected"), "3");
      await expectText(figure(open, "sim-a", "accepted"), "10");
      await expectText(figure(open, "sim-a", "sends"), "13");
      await expectText(figure(open, "sim-a", "undelivered"), "1");
      await expectText(figure(open, "sim-b", "accepted"), "5");
      await expectText(figure(open, "sim-b", "rejected"), "0");
      await expectText(figure(open, "sim-b", "sends"), "5");
      // The server's own figures say the same.
      const { providers } = await server.client(AdminService).listProviders({});
      const us = (name: string) => providers.find((p) => p.name === name)!.stats.find((s) => s.country === "US")!;
      expect([us("sim-a").accepted, us("sim-a").rejected, us("sim-b").accepted]).toEqual([10n, 3n, 5n]);

      await expectText(open.page.locator('section[data-provider="sim-a"] .breakers li[data-channel="SMS"]'), /SMS: .*breaker closed/);
      await expect(open.page.locator('section[data-provider="sim-a"] tr[data-country="US"] svg[role="img"]').count()).resolves.toBe(2);
      await expectText(open.page.locator(".freshness"), /^✓live/);
      await open.screenshot("providers");

      const sameDocument = await markDocument(open.page);
      await server.connectH2.start({ phoneNumber: "+12025550113" });
      await expectText(figure(open, "sim-a", "rejected"), "4");
      await expectText(figure(open, "sim-b", "sends"), "6");
      expect(await sameDocument()).toBe(true);
    },
    BROWSER_TEST_MS,
  );

  test(
    "falls back to polling ListProviders when the WatchProviders stream fails, and says so",
    async () => {
      // As a proxy that does not pass streams would: the stream's request fails, unary calls go through.
      open = await openConsole(browser, server.url, "", (page) => page.route("**/verify.admin.v1.AdminService/WatchProviders", (route) => route.abort()));
      await open.page.locator('.freshness[data-mode="polling"]').waitFor();
      await expectText(open.page.locator(".freshness"), /refreshed every 5 s \(the live stream is unavailable\)/);
      await expectText(figure(open, "sim-a", "rejected"), /^\d+$/);
      open.problems.splice(0); // the aborted request is logged as a failed load
    },
    BROWSER_TEST_MS,
  );

  test(
    "is usable by keyboard: a skip link first, then the views, followed with Enter, with a visible focus ring",
    async () => {
      open = await openConsole(browser, server.url);
      await open.page.getByRole("heading", { name: "Providers" }).waitFor();
      await open.page.keyboard.press("Tab");
      expect(await open.page.evaluate("document.activeElement.textContent")).toBe("Skip to the view");
      await open.page.keyboard.press("Tab");
      expect(await open.page.evaluate("document.activeElement.textContent")).toBe("Providers");
      expect(await open.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");
      await open.page.keyboard.press("Tab");
      await open.page.keyboard.press("Enter");
      await open.page.getByRole("heading", { name: "Route explainer" }).waitFor();
      expect(open.page.url()).toMatch(/#\/route$/);
      expect(await open.page.getByRole("link", { name: "Route explainer" }).getAttribute("aria-current")).toBe("page");
    },
    BROWSER_TEST_MS,
  );
});

describe("the route explainer", () => {
  test(
    "answers for a German number with sim-b first, each step with its reason, and each guard's verdict",
    async () => {
      open = await openConsole(browser, server.url, "#/route");
      await open.page.getByLabel("Phone number").fill("+4915123456789");
      await open.page.getByLabel("Channel").selectOption({ label: "SMS" });
      await open.page.getByRole("button", { name: "Explain" }).click();

      await expectText(open.page.locator("#route-heading"), /^Route for \+4915123456789 \(DE, SMS\)/);
      const steps = open.page.locator("ol.route-steps > li");
      const order = await steps.evaluateAll((items) => items.map((item) => item.getAttribute("data-provider")));
      expect(order.slice(0, 2)).toEqual(["sim-b", "sim-a"]);
      await expectText(steps.first().locator(".reason"), /\S/);
      await expectText(open.page.locator('tr[data-guard="conversion_guard"] td').first(), /allow/);
      await expect(open.page.locator(".verdicts tbody tr").count()).resolves.toBeGreaterThanOrEqual(3);
      await open.screenshot("route");
    },
    BROWSER_TEST_MS,
  );
});

describe("the verifications view", () => {
  test(
    "lists them newest first with masked numbers, filters by provider, pages, and opens one's timeline",
    async () => {
      open = await openConsole(browser, server.url, "#/verifications");
      const rows = open.page.locator("table.verifications tbody tr");
      await expectText(rows.first().locator("th"), server.createdIds().at(-1)!);
      expect(await rows.count()).toBe(14);
      for (const phone of await rows.locator("td:nth-child(2)").allTextContents()) expect(phone).toMatch(/^\+\d+\*+\d\d$/);
      await open.screenshot("verifications");

      await open.page.getByLabel("Provider").fill("sim-b");
      await open.page.getByLabel("Per page").selectOption("10");
      await open.page.getByRole("button", { name: "Apply filters" }).click();
      await expectCount(rows, 6);

      await open.page.getByLabel("Provider").fill("");
      await open.page.getByRole("button", { name: "Apply filters" }).click();
      await expectCount(rows, 10);
      await open.page.getByRole("button", { name: "Next page" }).click();
      await expectCount(rows, 4);
      expect(await open.page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
      await open.page.getByRole("button", { name: "Previous page" }).click();
      await expectCount(rows, 10);

      const first = rows.first().locator("th a");
      const id = (await first.textContent())!;
      await first.click();
      await open.page.getByRole("heading", { name: `Verification ${id}` }).waitFor();
      await open.page.locator("li.attempt").first().waitFor();
    },
    BROWSER_TEST_MS,
  );
});

describe("a verification's timeline", () => {
  test(
    "shows the slow-failover resend appear live, with its reason, without reloading",
    async () => {
      const { verification } = await server.connectH2.start({ phoneNumber: "+12025550121" });
      open = await openConsole(browser, server.url, `#/verifications/${verification!.id}`);
      const attempts = open.page.locator("li.attempt");
      await expectText(attempts.first().locator("h3"), /^Attempt 1: sim-a \(SMS\)/);
      await expectText(open.page.locator(".summary div", { hasText: "Phone number" }).locator("dd"), "+120******21");
      await open.page.locator('.freshness[data-stream="live"]').waitFor();
      await expectCount(attempts, 1);
      const sameDocument = await markDocument(open.page);

      clock.advance(DELIVERY_WINDOW_MS);

      await expectText(attempts.nth(1).locator("h3"), /^Attempt 2: sim-b \(SMS\)/);
      await expectText(attempts.nth(0).locator(".badge"), /timed out/);
      await expectText(attempts.nth(1).locator(".reason"), /no_receipt/);
      await expectText(open.page.locator('ol.events li[data-event="failover"]'), /failover · sim-b · no_receipt/);
      expect(await sameDocument()).toBe(true);
      await expectText(attempts.nth(1).locator(".badge"), /delivered/);
      await open.screenshot("verification-timeline");
    },
    BROWSER_TEST_MS,
  );
});
