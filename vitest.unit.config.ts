import { defineConfig } from "vitest/config";

// Fast in-process unit tests of the core folders: no servers, databases or external tools.
// Used by Stryker (stryker.config.json) to mutation-test src/verification and src/dispatch,
// and by `npm run test:unit`. `npm test` keeps using vitest.config.ts (every suite).
export default defineConfig({
  test: {
    include: ["test/verification/**/*.test.ts", "test/dispatch/**/*.test.ts"],
    testTimeout: 5_000,
    hookTimeout: 10_000,
    maxWorkers: 2,
    reporters: ["default"],
  },
});
