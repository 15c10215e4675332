import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The console's build, which servers started from the sources serve at /console/.
    globalSetup: ["test/support/console-build.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // Two cores: end-to-end suites start real servers, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
