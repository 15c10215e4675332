#!/usr/bin/env node
/**
 * verifyd's command line: `verifyd serve`, `verifyd check-config FILE`,
 * `verifyd version` (src/cli/commands.ts). The package's `bin`, run from the
 * build as dist/src/main.js; `npm start` is `verifyd serve`.
 */
import module from "node:module";

// Node caches the bytecode it compiles for verifyd and its libraries (in the
// system's temporary directory, or NODE_COMPILE_CACHE), so a start after the
// first parses nothing; where nothing can be written, it simply compiles.
// (Node 22.1 and later; earlier ones go without.)
module.enableCompileCache?.();

const { runCli } = await import("./cli/commands.js");
runCli(process.argv.slice(2)).then(
  // Once what was written has gone out: stdout may be a pipe.
  (code) => process.stdout.write("", () => process.exit(code)),
  (error: unknown) => {
    console.error("verifyd: fatal:", error);
    process.exit(1);
  },
);
