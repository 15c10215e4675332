// Builds the operator console (console/) with esbuild into one folder of files
// the server sends as they are: index.html, and the script and stylesheet it
// loads, named by a hash of their content so that browsers may keep them for a
// year (src/server/console-route.ts serves the folder). Plain JavaScript, as
// scripts/build.mjs, which calls it, must run where nothing runs TypeScript yet.
//
//   node scripts/build-console.mjs [OUTDIR]   builds into OUTDIR; by default the folder a verifyd
//                                            run from its sources serves (CONSOLE_SOURCE_BUILD)
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Where the console is built for a verifyd run from its sources (tests, `npm run dev`): not in
 * dist/, which `npm run build` empties first, so a build of dist/ during a test run never takes
 * the console from under a test server. Must match src/server/console-route.ts.
 */
export const CONSOLE_SOURCE_BUILD = join(root, "node_modules", ".cache", "verifyd-console");

/** What the build reads: a change to any of them makes a build stale. */
const INPUTS = [join(root, "console"), join(root, "gen"), join(root, "package-lock.json"), fileURLToPath(import.meta.url)];

/**
 * Builds the console into `outdir`, replacing what was there. The files are written
 * beside it first and moved in, so a server reading the folder meanwhile sees the old
 * build or the new one, never half of one.
 *
 * @example await buildConsole({ outdir: "dist/console" })
 */
export async function buildConsole({ outdir = CONSOLE_SOURCE_BUILD } = {}) {
  const esbuild = await import("esbuild");
  const staging = `${outdir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { app: join(root, "console", "src", "main.tsx") },
    tsconfig: join(root, "console", "tsconfig.json"),
    bundle: true,
    format: "esm",
    // Browsers of the last few years; anything older lacks streaming fetch, which Watch needs.
    target: ["chrome111", "firefox111", "safari16.4"],
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    legalComments: "none",
    entryNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    outdir: staging,
    metafile: true,
    logLevel: "warning",
  });
  writeIndex(staging, result.metafile);
  mkdirSync(dirname(outdir), { recursive: true });
  const previous = `${outdir}.old-${process.pid}`;
  try {
    renameSync(outdir, previous);
  } catch {
    // No earlier build.
  }
  try {
    renameSync(staging, outdir);
  } catch (error) {
    // Another build (a second test run) moved its complete folder in first: keep that one.
    rmSync(staging, { recursive: true, force: true });
    if (!statSync(outdir, { throwIfNoEntry: false })) throw error;
  }
  rmSync(previous, { recursive: true, force: true });
  return { outdir, files: readdirSync(outdir) };
}

/** Builds into the source-run folder unless it is newer than everything the build reads. */
export async function buildConsoleIfStale() {
  const built = statSync(join(CONSOLE_SOURCE_BUILD, "index.html"), { throwIfNoEntry: false })?.mtimeMs;
  if (built !== undefined && !INPUTS.some((input) => newerThan(input, built))) return { outdir: CONSOLE_SOURCE_BUILD, rebuilt: false };
  await buildConsole({ outdir: CONSOLE_SOURCE_BUILD });
  return { outdir: CONSOLE_SOURCE_BUILD, rebuilt: true };
}

/** index.html from console/index.html, naming the hashed script and stylesheet. */
function writeIndex(outdir, metafile) {
  const [script, output] = Object.entries(metafile.outputs).find(([, out]) => out.entryPoint?.endsWith("main.tsx")) ?? [];
  if (!script || !output.cssBundle) throw new Error("the console build made no script or no stylesheet");
  const html = readFileSync(join(root, "console", "index.html"), "utf8")
    .replace("%SCRIPT%", basename(script))
    .replace("%STYLESHEET%", basename(output.cssBundle));
  writeFileSync(join(outdir, "index.html"), html);
}

function newerThan(path, than) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return false;
  if (!stat.isDirectory()) return stat.mtimeMs > than;
  return readdirSync(path).some((name) => newerThan(join(path, name), than));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { outdir, files } = await buildConsole({ outdir: process.argv[2] ?? CONSOLE_SOURCE_BUILD });
  console.log(`console built into ${outdir}: ${files.join(", ")}`);
}
