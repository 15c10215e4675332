/**
 * The console stays light: everything a browser downloads for it (the page,
 * the script and the stylesheet), gzipped as the server sends them, under
 * 200 KB; and every file but the page is named by a hash of its content, so
 * the year-long cache headers can never serve a stale one.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { CONSOLE_DIRECTORY } from "../../src/server/console-route.js";

const BUDGET_BYTES = 200 * 1024;

describe("the console's build", () => {
  const files = readdirSync(CONSOLE_DIRECTORY);

  test("is under 200 KB compressed (gzip), all files together", () => {
    const sizes = files.map((name) => ({ name, gzip: gzipSync(readFileSync(join(CONSOLE_DIRECTORY, name)), { level: 9 }).length }));
    const total = sizes.reduce((sum, file) => sum + file.gzip, 0);
    console.info(`console size (gzip): ${sizes.map((file) => `${file.name} ${file.gzip} B`).join(", ")}; total ${total} B`);
    expect(total).toBeLessThan(BUDGET_BYTES);
  });

  test("is index.html and content-hashed files only, which index.html names", () => {
    expect(files).toContain("index.html");
    const page = readFileSync(join(CONSOLE_DIRECTORY, "index.html"), "utf8");
    for (const name of files.filter((file) => file !== "index.html")) {
      expect(name).toMatch(/^[a-z]+-[A-Z0-9]{8}\.(js|css)$/);
      expect(page).toContain(`"${name}"`);
    }
    expect(files.filter((file) => file.endsWith(".js"))).toHaveLength(1);
    expect(files.filter((file) => file.endsWith(".css"))).toHaveLength(1);
  });
});
