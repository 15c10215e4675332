/**
 * The build (dist/) the command-line suites run, as `npm start` and the
 * `verifyd` bin do. `npm ci` leaves one (prepare); a test run after the
 * sources changed, or in a tree built before, rebuilds it first, once, with
 * `npm run build` (the console's sources count too: dist/console is part
 * of the build). Several suites may ask at once (vitest runs files in
 * parallel): a lock directory makes the others wait for the one that builds.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const REPO = fileURLToPath(new URL("../../..", import.meta.url));
/** The `verifyd` command of the build (package.json "bin"). */
export const MAIN = join(REPO, "dist", "src", "main.js");

const SOURCES = ["src", "gen", "console"].map((dir) => join(REPO, dir));
const BUILD_SCRIPTS = ["scripts/build.mjs", "scripts/bundle-server.mjs", "scripts/build-console.mjs"];
const INPUTS = ["tsconfig.json", "tsconfig.build.json", "package.json", ...BUILD_SCRIPTS].map((file) => join(REPO, file));
const LOCK = join(REPO, "dist.build-lock");

/** Builds dist/ unless it is newer than every source; resolves once it is. */
export async function ensureBuilt(): Promise<void> {
  for (;;) {
    if (!stale()) return;
    try {
      mkdirSync(LOCK);
    } catch {
      // Another suite is building: wait for it (a lock older than two minutes was left by a killed run).
      if (Date.now() - statSync(LOCK, { throwIfNoEntry: false })!.mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
      await sleep(250);
      continue;
    }
    try {
      if (stale()) await promisify(execFile)("npm", ["run", "build"], { cwd: REPO, maxBuffer: 16 << 20 });
      return;
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

function stale(): boolean {
  const built = statSync(MAIN, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return true;
  return INPUTS.some((file) => (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) > built) || SOURCES.some((dir) => newerIn(dir, built));
}

function newerIn(dir: string, than: number): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? newerIn(path, than) : /\.(ts|tsx|css|html)$/.test(entry.name) && statSync(path).mtimeMs > than) return true;
  }
  return false;
}
