/**
 * dependency-cruiser rules for src/ (`npm run check:deps`).
 *
 * Parser: the project's TypeScript is 7 (the native compiler), which has no
 * JavaScript compiler API; dependency-cruiser supports typescript <7 only and,
 * without a usable one, silently skips every .ts file. So it parses with swc
 * (@swc/core, a devDependency). swc sees `import type` too, so type-only
 * imports count for every rule below (they are marked "type-only").
 * Imports written with ".js" (NodeNext) resolve to the .ts files through
 * dependency-cruiser's built-in .js -> .ts retry.
 *
 * Folder cycles (src/a -> src/b -> src/a) cannot be expressed as a rule here:
 * scripts/check-layers.ts checks those and prints the folder graph.
 *
 * @type {import("dependency-cruiser").IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: "verification-is-self-contained",
      severity: "error",
      comment:
        "src/verification/ is the core: it may import only from itself, gen/, npm packages and node: built-ins. " +
        "Other folders depend on it (through its ports), never the other way round.",
      from: { path: "^src/verification/" },
      to: { path: "^src/", pathNot: "^src/verification/" },
    },
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle among src/ modules (type-only imports included).",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that resolves to no file or package (a moved or deleted module).",
      from: { path: "^src/" },
      to: { couldNotResolve: true },
    },
    {
      name: "src-not-to-test-or-tooling",
      severity: "error",
      comment: "Production code must not import test, bench or scripts code.",
      from: { path: "^src/" },
      to: { path: "^(test|bench|scripts)/" },
    },
    {
      name: "src-not-to-dev-dependency",
      severity: "error",
      comment: "src/ runs in production, where devDependencies are not installed (type-only imports are fine).",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    parser: "swc",
    // Read for path aliases (none today). With TypeScript 7 dependency-cruiser
    // cannot parse it and ignores it; swc + the .js -> .ts retry resolve the imports.
    tsConfig: { fileName: "tsconfig.json" },
    // node_modules is never descended into; gen/ is generated code: its modules
    // are shown as targets but not followed further.
    doNotFollow: { path: ["node_modules", "^gen/"] },
    moduleSystems: ["es6", "cjs"],
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      // Runtime files, not type declarations: a package import resolves to what Node loads.
      conditionNames: ["import", "require", "node", "default"],
      mainFields: ["module", "main", "types", "typings"],
    },
    skipAnalysisNotInRules: false,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
