/**
 * What verifyd logged at warn and above, for suites that must see a warning:
 * the shared test server (test/support/server.ts) starts verifyd with a
 * silent logger and offers no other. A suite swaps the logger module's
 * createLogger for one that keeps warnings here, with this line at the top of
 * the test file (vi.mock must sit in the test file itself to be hoisted):
 *
 * @example
 * vi.mock("../../../src/telemetry/logger.js", async (original) => (await import("../support/log-capture.js")).keepingWarnings(await original()));
 *
 * Nothing here imports the logger module, so the mock's factory can import
 * this file without waiting on itself.
 */
import type { DestinationStream } from "pino";

/** One pino line as JSON: level 40 is warn, 50 error; the rest are the call's fields. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** Every line kept so far, oldest first, across the whole test file. */
export const loggedWarnings: LogLine[] = [];

const keeper: DestinationStream = {
  write(line: string) {
    loggedWarnings.push(JSON.parse(line) as LogLine);
  },
};

type CreateLogger = (level: string, destination?: DestinationStream) => unknown;

/** The logger module with a createLogger that, asked for a silent logger, logs warnings into loggedWarnings instead. */
export function keepingWarnings<M extends { createLogger: CreateLogger }>(actual: M): M {
  const original = actual.createLogger;
  const createLogger = ((level: string, destination?: DestinationStream) =>
    level === "silent" && destination === undefined ? original("warn", keeper) : original(level, destination)) as M["createLogger"];
  return { ...actual, createLogger };
}
