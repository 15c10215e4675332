/**
 * Vitest's global setup (vitest.config.ts): the operator console built before
 * any suite starts a server, because a verifyd run from its sources serves
 * /console/ from the build (src/server/console-route.ts), which nothing else
 * makes. Skipped when the build is newer than every file it reads.
 */
import { buildConsoleIfStale } from "../../scripts/build-console.mjs";

export default async function setup(): Promise<void> {
  await buildConsoleIfStale();
}
