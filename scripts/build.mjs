// Builds dist/ from src/ and gen/ with the TypeScript compiler (tsconfig.build.json),
// then bundles what it wrote with esbuild (scripts/bundle-server.mjs): dist/src/main.js
// is the `verifyd` command, dist/src/chunks/ what it loads; and the operator console
// (console/) with esbuild into dist/console (scripts/build-console.mjs). Plain
// JavaScript, so it runs where nothing can run TypeScript yet.
//
//   node scripts/build.mjs             npm run build: clean, type-check and compile; fails on a type error
//   node scripts/build.mjs --prepare   npm's prepare (npm install, npm ci, also with --omit=dev): clean and
//                                      compile without type-checking (--noCheck): type declarations are
//                                      devDependencies, and checking is `npm run typecheck`'s job (npm test);
//                                      without the compiler installed (--omit=optional) it only says so,
//                                      and installing goes on; without esbuild, a devDependency
//                                      (--omit=dev), the compiler's output is left unbundled (it runs
//                                      the same, starts slower and holds more memory) and the
//                                      console is not built
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildConsole } from "./build-console.mjs";
import { bundleServer } from "./bundle-server.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const prepare = process.argv.includes("--prepare");

let tsc;
try {
  tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
} catch {
  const message = "verifyd: the TypeScript compiler (the typescript package) is not installed, so dist/ was not built";
  if (!prepare) {
    console.error(`${message}: run npm install first`);
    process.exit(1);
  }
  console.warn(`${message}; \`npm start\` needs dist/ (install without --omit=optional, or use a packed build or the container image)`);
  process.exit(0);
}

// Files of sources since deleted must not linger in the build.
rmSync(join(root, "dist"), { recursive: true, force: true });
const args = [tsc, "-p", join(root, "tsconfig.build.json"), ...(prepare ? ["--noCheck"] : [])];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
if (result.status !== 0) {
  console.error("verifyd: the build failed (see above)");
  process.exit(result.status ?? 1);
}

try {
  await bundleServer({ root });
} catch (error) {
  if (!prepare || error?.code !== "ERR_MODULE_NOT_FOUND") {
    console.error("verifyd: bundling the build failed:", error);
    process.exit(1);
  }
  console.warn("verifyd: dist/ was not bundled (the bundler, esbuild, is a devDependency): it runs as compiled, with a slower start");
}

try {
  await buildConsole({ outdir: join(root, "dist", "console") });
} catch (error) {
  if (!prepare || error?.code !== "ERR_MODULE_NOT_FOUND") {
    console.error("verifyd: the console's build failed:", error);
    process.exit(1);
  }
  console.warn("verifyd: the console was not built (its bundler, esbuild, is a devDependency): /console/ answers 404");
}
