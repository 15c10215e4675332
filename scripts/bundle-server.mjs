// Bundles the compiled command (dist/src/main.js, as tsc wrote it from src/ and gen/) and the
// libraries it loads into a few files with esbuild, in place: dist/src/main.js and
// dist/src/chunks/. scripts/build.mjs calls it after the compiler. Plain JavaScript, as build.mjs.
//
// Why: from some 850 modules, which Node resolves, reads, compiles and links one by one, start-up
// took about 0.5 s of CPU, and their records stayed in the heap; from a few files it takes half
// that, and the idle process holds some 15 MiB less (bench/startup.ts, bench/RESULTS.md).
// The input is tsc's JavaScript, so the bundle runs the code the tests run; its source map leads
// back to src/.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/**
 * Loaded from node_modules at run time, never bundled: each only when it is needed (tracing on,
 * the mongodb store), and the tracing SDK's instrumentations patch the MongoDB driver and
 * undici as Node loads them, which they cannot do to a copy inside a bundle. The modules that
 * src/ loads through createRequire (the tracing SDK, the context manager) stay out as well:
 * esbuild leaves such calls alone.
 */
export const EXTERNAL = [
  "mongodb",
  "@opentelemetry/sdk-node",
  "@opentelemetry/instrumentation",
  "@opentelemetry/instrumentation-*",
  "@opentelemetry/exporter-trace-otlp-*",
];

/**
 * Replaces dist/src and dist/gen (tsc's output) under `root` with the bundle of dist/src/main.js.
 *
 * @example await bundleServer({ root: process.cwd() })
 */
export async function bundleServer({ root }) {
  const esbuild = await import("esbuild");
  const dist = "dist";
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join(dist, "src", "main.js")],
    outdir: join(dist, "src"),
    // A chunk sits as deep below dist/ as the modules it holds (dist/src/<folder>/), so a path a
    // module finds from its own import.meta.url (dist/console, package.json) is found from the chunk too.
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    external: EXTERNAL,
    // Not keepNames: it wraps every function the code creates, closures on the hot path included,
    // and cost some 15 % of Start and Check throughput; restoreClassNames does what is needed.
    keepNames: false,
    // Without comments and spaces, and ASCII only (esbuild escapes the rest): V8 keeps every
    // script's source in memory, and a source with a single character beyond Latin-1 (zod's
    // locales, a comment's dash) at two bytes a character. Identifiers are kept: stack traces
    // name the functions they ran through (a name two modules share gets a number), and the
    // source map gives the lines.
    minifyWhitespace: true,
    minifySyntax: true,
    // CommonJS libraries inside an ES module bundle call require() for Node's own modules.
    banner: { js: 'import { createRequire as __verifydCreateRequire } from "node:module";\nconst require = __verifydCreateRequire(import.meta.url);' },
    sourcemap: "linked",
    // tsc's maps do not carry the TypeScript either: a map names the files, it does not copy them.
    sourcesContent: false,
    legalComments: "linked",
    metafile: true,
    write: false,
    logLevel: "warning",
  });
  checkDepths(root, dist, result.metafile);
  const outputs = [];
  for (const file of result.outputFiles) {
    if (!file.path.endsWith(".js")) {
      outputs.push({ path: file.path, contents: file.contents });
      continue;
    }
    const code = restoreClassNames(file.text);
    // A rename in the wrong place would most likely break the syntax: refuse such a build.
    await esbuild.transform(code, { loader: "js", format: "esm", logLevel: "silent" });
    outputs.push({ path: file.path, contents: code });
  }
  rmSync(join(root, dist, "src"), { recursive: true, force: true });
  rmSync(join(root, dist, "gen"), { recursive: true, force: true });
  for (const { path, contents } of outputs) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, contents);
  }
}

/** `VerifyError=class _VerifyError`, `ContextAPI=class ContextAPI2`: a class expression with a name esbuild made up. */
const INNER_NAMED_CLASS = /(?<![\w$.])([A-Za-z_$][\w$]*)=class ([A-Za-z_$][\w$]*)(?![\w$])/g;

/**
 * Gives each class back the name it has in the sources. A bundle declares a module's classes as
 * `var VerifyError = class {…}`, which names the class after the variable; a class whose body
 * refers to itself gets an inner name for that (`class _VerifyError`), and so its name becomes
 * "_VerifyError", which pino would log as the error's type. Each use of such an inner name (it
 * is unique in its file, used only inside its class) is replaced with the original name, padded
 * with spaces to the same length so that the source map still fits: the inner binding then
 * holds the same class under the right name. Inside the class nothing else can bear that name:
 * in its module, the name was the class's.
 */
export function restoreClassNames(code) {
  const renames = new Map();
  for (const [, outer, inner] of code.matchAll(INNER_NAMED_CLASS)) {
    const original = originalName(outer, inner);
    if (original) renames.set(inner, original.padEnd(inner.length, " "));
  }
  if (renames.size === 0) return code;
  const uses = new RegExp(`(?<![\\w$.])(${[...renames.keys()].map((name) => name.replaceAll("$", "\\$")).join("|")})(?![\\w$])`, "g");
  return code.replace(uses, (inner) => renames.get(inner));
}

/** Refuses a bundle where a module that uses import.meta now sits at another depth below dist/. */
function checkDepths(root, dist, metafile) {
  const depth = (path) => relative(dist, dirname(path)).split(sep).length;
  for (const [output, { inputs }] of Object.entries(metafile.outputs)) {
    for (const input of Object.keys(inputs)) {
      if (!input.startsWith(`${dist}/`) || !readFileSync(join(root, input), "utf8").includes("import.meta")) continue;
      if (depth(input) !== depth(output)) {
        throw new Error(`${input} uses import.meta and was bundled into ${output}, at another depth below ${dist}: its relative paths would point elsewhere`);
      }
    }
  }
}

/** The source's name of a class bundled as `outer = class inner`, when esbuild made up either. */
function originalName(outer, inner) {
  const numbered = (name, base) => name.startsWith(base) && /^\d+$/.test(name.slice(base.length));
  // VerifyError=class _VerifyError; CircuitBreaker2=class _CircuitBreaker (two modules' CircuitBreaker)
  if (inner.startsWith("_") && (outer === inner.slice(1) || numbered(outer, inner.slice(1)))) return inner.slice(1);
  // ContextAPI=class ContextAPI2: the other way esbuild names it
  if (numbered(inner, outer)) return outer;
  return undefined;
}
