// Mutation testing of the core folders: `npm run test:mutation` (reports/mutation/index.html).
// Incremental: reruns only mutants whose code or covering tests changed since the last run
// (state in reports/stryker-incremental.json, git-ignored); `npx stryker run --force` for a full run.

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  packageManager: "npm",
  testRunner: "vitest",
  // Only the unit tests of these folders (test/verification/**, test/dispatch/**): fast, no servers.
  vitest: { configFile: "vitest.unit.config.ts" },
  mutate: ["src/verification/**/*.ts", "src/dispatch/**/*.ts", "!src/**/index.ts"],
  coverageAnalysis: "perTest",
  concurrency: 2,
  timeoutMS: 10_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 5,
  reporters: ["html", "clear-text", "progress"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  tempDirName: ".stryker-tmp",
  // Not needed by the unit tests; .tools/ alone is ~130 MB of binaries. gen/ is needed and copied.
  ignorePatterns: ["/.tools", "/coverage", "/dist", "/bench/out", "/.vitest-cache", "/.ci"],
  // No type-checking of mutants: @stryker-mutator/typescript-checker needs the TypeScript
  // compiler API, which TypeScript 7 (the native compiler) does not have.
  checkers: [],
  // Stryker rewrites `extends`/`references` paths of tsconfig.json in its sandbox through the
  // TypeScript compiler API, which TypeScript 7 lacks (TypeError: ts.parseConfigFileTextToJson is
  // not a function). Our tsconfig.json has neither, so pointing this at a file that does not exist
  // skips that step; the sandbox gets tsconfig.json copied as it is.
  tsconfigFile: "tsconfig.stryker-does-not-rewrite.json",
};
