/**
 * Debian's Chromium driven by playwright-core, for the console's browser
 * suites. Playwright's own browser download cannot run here, so the browser
 * is /usr/bin/chromium, which scripts/install-tools.sh installs (apt-get);
 * when it is missing the suite fails, saying so, rather than skipping.
 *
 * Every wait is bounded (WAIT_MS per step), so a console that never shows
 * what a test expects fails in seconds, naming the step.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";
import { eventually } from "../../support/eventually.js";

export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots of each view (git-ignored). */
export const ARTIFACTS = fileURLToPath(new URL("../../../test-artifacts/console/", import.meta.url));
/** The longest any one step waits for the page. */
export const WAIT_MS = 10_000;
/** A browser test's own limit: a few steps, each bounded by WAIT_MS, on a machine the whole suite shares. */
export const BROWSER_TEST_MS = 45_000;

// Without the networking switches Chromium reaches for Google's hosts at start-up, which this network refuses.
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the console's browser tests need Debian's chromium; run \`bash scripts/install-tools.sh\` (apt-get install chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
}

export interface ConsolePage {
  readonly page: Page;
  /** Console errors and uncaught exceptions the page reported (a CSP refusal is one). */
  readonly problems: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A new browser context (its own sessionStorage) on `${baseUrl}/console/${hash}`; `prepare` runs before the page loads (to route requests, say). */
export async function openConsole(browser: Browser, baseUrl: string, hash = "", prepare?: (page: Page) => Promise<unknown>): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  await prepare?.(page);
  await page.goto(`${baseUrl}/console/${hash}`);
  return {
    page,
    problems,
    async screenshot(name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, timeout: WAIT_MS });
    },
    close: () => context.close(),
  };
}

/** Waits until `locator`'s text, trimmed, is `expected`. */
export async function expectText(locator: Locator, expected: string | RegExp): Promise<void> {
  await eventually(
    async () => {
      const text = ((await locator.textContent({ timeout: 1_000 })) ?? "").trim();
      if (typeof expected === "string") expect(text).toBe(expected);
      else expect(text).toMatch(expected);
    },
    { timeoutMs: WAIT_MS, intervalMs: 100 },
  );
}

/** Waits until `locator` matches `count` elements. */
export async function expectCount(locator: Locator, count: number): Promise<void> {
  await eventually(async () => expect(await locator.count()).toBe(count), { timeoutMs: WAIT_MS, intervalMs: 100 });
}

/** A marker that survives only as long as the document does (a reload clears it). */
export async function markDocument(page: Page): Promise<() => Promise<boolean>> {
  await page.evaluate("window.__consoleTestMarker = 1");
  return async () => (await page.evaluate("window.__consoleTestMarker === 1")) === true;
}
