/**
 * The console against a verifyd with admin.token set, in a real browser:
 * before the token is given the page shows the token form and nothing
 * admin-only (and verifyd answered no admin call); a wrong token is refused
 * and says so; the right one opens the console, for the tab's life. Then
 * the blocks view, on a prefix the conversion guard blocked: its figures,
 * and Unblock, confirmed by keyboard, which lifts it and refreshes the list.
 */
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Browser, Response } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { FRAUD_SCENARIO, fraudLayer, numbersIn, startMany } from "../fraud/scenario.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { BROWSER_TEST_MS, type ConsolePage, expectText, launchChromium, openConsole } from "./support/browser.js";

const TOKEN = "console-admin-token-0123456789abcdef";

let server: TestServer;
let browser: Browser;
let admin: Client<typeof AdminService>;
let open: ConsolePage | undefined;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({
      config: [
        FRAUD_SCENARIO,
        fraudLayer({ prefix_velocity: { limit: 1000 }, conversion_guard: { scope: ["prefix"], window: "10m", min_sends: 5 } }),
        { admin: { token: TOKEN } },
      ],
    }),
    launchChromium(),
  ]);
  admin = createClient(AdminService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [withToken] }));
  // Five codes to one prefix, none verified: the next Start there blocks it.
  await startMany(server, numbersIn("+1202555"), 5);
  await server.connectH1.start({ phoneNumber: "+12025559999" }).catch(() => undefined);
}, 60_000);

afterEach(async () => {
  if (open)
    expect(
      open.problems.filter((problem) => !/401|403/.test(problem)),
      "errors the page reported",
    ).toEqual([]);
  await open?.close();
  open = undefined;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const withToken: Interceptor = (next) => (request) => {
  request.header.set("authorization", `Bearer ${TOKEN}`);
  return next(request);
};

describe("with admin.token set", () => {
  test(
    "the page shows nothing admin-only before the token is given, refuses a wrong one, and works after the right one",
    async () => {
      open = await openConsole(browser, server.url);
      const adminAnswers: number[] = [];
      const record = (response: Response) => {
        if (response.url().includes("/verify.admin.v1.AdminService/")) adminAnswers.push(response.status());
      };
      open.page.on("response", record);
      await open.page.reload();
      const token = open.page.getByLabel("Admin token");
      await token.waitFor();

      await expectNothingAdminOnly(open);
      expect(adminAnswers.length).toBeGreaterThan(0);
      expect(adminAnswers.every((status) => status === 401)).toBe(true);
      await open.screenshot("token");

      await token.fill("not-the-admin-token-0123456789");
      await open.page.keyboard.press("Enter");
      await expectText(open.page.getByRole("alert"), /refused the token/);
      await expectNothingAdminOnly(open);
      expect(adminAnswers.every((status) => status === 401 || status === 403)).toBe(true);

      await open.page.getByLabel("Admin token").fill(TOKEN);
      await open.page.getByRole("button", { name: "Open the console" }).click();
      await open.page.locator('section[data-provider="sim-a"]').waitFor();
      open.page.off("response", record);

      // Kept for the tab: a reload does not ask again.
      await open.page.reload();
      await open.page.locator('section[data-provider="sim-a"]').waitFor();
      expect(await open.page.getByLabel("Admin token").count()).toBe(0);
    },
    BROWSER_TEST_MS,
  );

  test(
    "the blocks view shows a block's figures, and Unblock, once confirmed, lifts it and refreshes the list",
    async () => {
      open = await openConsole(browser, server.url, "#/blocks");
      await open.page.getByLabel("Admin token").fill(TOKEN);
      await open.page.keyboard.press("Enter");
      const row = open.page.locator('tr[data-block="+1202555"]');
      await expectText(row.locator("td").first(), "prefix");
      await expectText(row.locator(".figures"), /sends\s*5/);
      await open.screenshot("blocks");

      // A first press only asks; Cancel leaves the block in force.
      await row.getByRole("button", { name: "Unblock…" }).click();
      await row.getByRole("button", { name: "Cancel" }).click();
      expect((await admin.listBlocks({})).blocks).toHaveLength(1);

      await row.getByRole("button", { name: "Unblock…" }).click();
      const confirm = row.getByRole("button", { name: "Yes, unblock +1202555" });
      await confirm.waitFor();
      expect(await confirm.evaluate((button) => button === button.ownerDocument.activeElement)).toBe(true);
      await open.page.keyboard.press("Enter");
      await expectText(open.page.getByRole("status"), "Lifted the prefix block on +1202555.");
      await expectText(open.page.locator(".empty"), "No block is in force.");
      expect((await admin.listBlocks({})).blocks).toEqual([]);
      await server.connectH1.start({ phoneNumber: "+12025559999" });
    },
    BROWSER_TEST_MS,
  );
});

/** No navigation, no provider, no figure: only the token form and its explanation. */
async function expectNothingAdminOnly(page: ConsolePage): Promise<void> {
  expect(await page.page.getByRole("navigation").count()).toBe(0);
  expect(await page.page.locator("[data-provider], table").count()).toBe(0);
  const text = (await page.page.locator("body").textContent()) ?? "";
  expect(text).not.toMatch(/sim-a|sim-voice|\+1202555/);
}
