// The generated Python client (clients/python, grpcio) against a live verifyd:
// the interop script and the README's quickstart, run with the venv that
// scripts/install-codegen-tools.sh builds (clients/python installed in it).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";
import { execFileAsync, expectInteropTranscript, INSTALL_HINT, INTEROP_CONFIG, REPO, requireFile, runQuickstart, runSteps } from "./clients.js";

const PYTHON = join(REPO, ".tools/python/bin/python");
const EXAMPLES = join(REPO, "clients/python/examples");
const numbers = { number: "+12025550103", failoverNumber: "+12025550113" };
let server: TestServer;

beforeAll(async () => {
  requireFile(PYTHON, "The Python venv of the client tools");
  try {
    await execFileAsync(PYTHON, ["-c", "import grpc, verify.v1.verify_pb2_grpc"], { cwd: REPO });
  } catch (error) {
    throw new Error(`the venv cannot import grpc and the verifyd-client package: ${INSTALL_HINT}\n${(error as { stderr?: string }).stderr ?? ""}`);
  }
  server = await startTestServer({ config: INTEROP_CONFIG });
});

afterAll(async () => {
  await server?.close();
});

describe("the Python client (grpcio) against a live verifyd", () => {
  test("Start, Watch in the background, a wrong and a right Check, fast failover, INVALID_ARGUMENT and NOT_FOUND", async () => {
    const steps = await runSteps(PYTHON, [
      join(EXAMPLES, "interop.py"),
      "--addr",
      `127.0.0.1:${server.app.port}`,
      "--number",
      numbers.number,
      "--failover-number",
      numbers.failoverNumber,
    ]);
    expectInteropTranscript(steps, numbers);
  });

  test("the quickstart example verifies a number with the code typed in", async () => {
    const number = "+12025550104";
    const run = await runQuickstart(PYTHON, [join(EXAMPLES, "quickstart.py"), `127.0.0.1:${server.app.port}`, number], () => server.codeSentTo(number));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ver_\S+: VERIFICATION_STATUS_SUBMITTED\ncode: approved: [Tt]rue \(VERIFICATION_STATUS_VERIFIED\)\n$/);
  });
});
