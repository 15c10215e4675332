/**
 * verifyd from its build (dist/src/main.js, as `npm start` runs it) serves the
 * console built beside it in dist/console, not the sources' build the other
 * suites use.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBuilt, MAIN, REPO } from "../cli/support/build.js";
import { type Spawned, spawnUntilListening } from "../cli/support/spawned.js";

let server: Spawned | undefined;

beforeAll(async () => {
  await ensureBuilt();
  server = await spawnUntilListening(process.execPath, [MAIN, "serve", "--port", "0"]);
}, 300_000);

afterAll(async () => {
  server?.child.kill("SIGTERM");
  await server?.exited;
});

describe("verifyd from the build", () => {
  test("serves dist/console at /console/: the page, and the script it names", async () => {
    const url = String(server!.listening.url);
    const built = readdirSync(join(REPO, "dist", "console"));
    const script = built.find((name) => name.endsWith(".js"))!;

    const page = await fetch(`${url}/console/`, { signal: AbortSignal.timeout(5_000) });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await page.text()).toContain(`src="${script}"`);
    const asset = await fetch(`${url}/console/${script}`, { signal: AbortSignal.timeout(5_000) });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });
});
