// The generated Go client (clients/go, grpc-go) against a live verifyd: the
// interop program and the README's quickstart, built once into a scratch folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";
import { execFileAsync, expectInteropTranscript, INSTALL_HINT, INTEROP_CONFIG, REPO, runQuickstart, runSteps } from "./clients.js";

const GO_MODULE = join(REPO, "clients/go");
const numbers = { number: "+12025550101", failoverNumber: "+12025550111" };
let server: TestServer;
let bin: string;

beforeAll(async () => {
  bin = mkdtempSync(join(tmpdir(), "verifyd-go-client-"));
  try {
    // Go's build cache (warmed by scripts/install-codegen-tools.sh) makes this a link step.
    await execFileAsync("go", ["build", "-o", bin, "./examples/interop", "./examples/quickstart"], { cwd: GO_MODULE, timeout: 170_000 });
  } catch (error) {
    const { message, stderr } = error as { message: string; stderr?: string };
    throw new Error(`building clients/go failed (is Go installed? ${INSTALL_HINT}): ${message}\n${stderr ?? ""}`);
  }
  server = await startTestServer({ config: INTEROP_CONFIG });
}, 180_000);

afterAll(async () => {
  await server?.close();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

describe("the Go client (grpc-go) against a live verifyd", () => {
  test("Start, Watch in the background, a wrong and a right Check, fast failover, INVALID_ARGUMENT and NOT_FOUND", async () => {
    const steps = await runSteps(join(bin, "interop"), [
      "-addr",
      `127.0.0.1:${server.app.port}`,
      "-number",
      numbers.number,
      "-failover-number",
      numbers.failoverNumber,
    ]);
    expectInteropTranscript(steps, numbers);
  });

  test("the quickstart example verifies a number with the code typed in", async () => {
    const number = "+12025550102";
    const run = await runQuickstart(join(bin, "quickstart"), ["-addr", `127.0.0.1:${server.app.port}`, number], () => server.codeSentTo(number));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ver_\S+: VERIFICATION_STATUS_SUBMITTED\ncode: approved: true \(VERIFICATION_STATUS_VERIFIED\)\n$/);
  });
});
