// The TypeScript client: gen/ (buf.gen.yaml) with @connectrpc/connect-node, as
// the README's example (clients/typescript/quickstart.ts) uses it against a
// live verifyd. The type check covers the example through clients.ts.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";
import { INTEROP_CONFIG, REPO, runQuickstart } from "./clients.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: INTEROP_CONFIG });
});

afterAll(async () => {
  await server?.close();
});

describe("the TypeScript client (gen/ with connect-node) against a live verifyd", () => {
  test("the quickstart example verifies a number with the code typed in", async () => {
    const number = "+12025550112";
    const run = await runQuickstart(process.execPath, ["--import", "tsx", join(REPO, "clients/typescript/quickstart.ts"), server.url, number], () =>
      server.codeSentTo(number),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ver_\S+: SUBMITTED\ncode: approved: true \(VERIFIED\)\n$/);
  });
});
