/**
 * The Connect project's conformance suite against verifyd's serving stack:
 * the pinned `connectconformance` runner (scripts/install-tools.sh) starts
 * test/conformance/server.ts (the suite's ConformanceService on startApp's
 * one-port server) and drives it with its reference clients (connect-go, and
 * grpc-go for gRPC) over every protocol, codec, compression and HTTP version
 * config.yaml claims. Cases in known-failing.txt must fail; any other
 * failure fails this test.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUNNER = fileURLToPath(new URL("../../.tools/bin/connectconformance", import.meta.url));
const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));

/** The runner's cases for v1.0.7 and config.yaml; far fewer means the configuration stopped claiming something. */
const AT_LEAST_CASES = 2_600;

interface Summary {
  total: number;
  passed: number;
  failed: number;
  failedAsExpected: number;
}

function parseSummary(output: string): Summary | undefined {
  const total = /^Total cases: (\d+)$/m.exec(output);
  const counts = /^(\d+) passed, (\d+) failed$/m.exec(output);
  if (!total || !counts) return undefined;
  const expected = /^\(Another (\d+) failed as expected/m.exec(output);
  return { total: Number(total[1]), passed: Number(counts[1]), failed: Number(counts[2]), failedAsExpected: Number(expected?.[1] ?? 0) };
}

function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

/**
 * Starts the server under test once and stops it when it has answered: the runner gives each server 10 s to
 * answer, and a first start on a busy 2-core machine (tsx compiling the app before its cache is warm) can take longer.
 */
function warmUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ["test/conformance/server.ts"], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
    const request = Buffer.from([0, 0, 0, 0]); // an empty ServerCompatRequest: all defaults
    child.stdout.once("data", () => child.kill("SIGTERM"));
    child.once("error", reject);
    child.once("close", () => resolve());
    child.stdin.end(request);
  });
}

it("passes the Connect conformance suite on verifyd's serving stack", { timeout: 300_000 }, async () => {
  expect(existsSync(RUNNER), `${RUNNER} is missing: run \`bash scripts/install-tools.sh\``).toBe(true);
  await warmUp();
  const started = Date.now();
  // Two cores: two servers under test at a time, four RPCs in flight against each.
  const { code, output } = await run(RUNNER, [
    "--mode",
    "server",
    "--conf",
    "test/conformance/config.yaml",
    "--known-failing",
    "@test/conformance/known-failing.txt",
    "--max-servers",
    "2",
    "--parallel",
    "4",
    "--",
    TSX,
    "test/conformance/server.ts",
  ]);
  const summary = parseSummary(output);
  const failures = output
    .split("\n")
    .filter((line) => line.startsWith("FAILED"))
    .slice(0, 20);
  const report = `${failures.join("\n")}\n…\n${output.slice(-2_000)}`;
  expect(summary, `no summary from the runner (exit ${code}):\n${output.slice(-4_000)}`).toBeDefined();
  console.log(
    `conformance: ${summary!.passed} of ${summary!.total} cases passed, ${summary!.failedAsExpected} known failures ` +
      `(known-failing.txt), in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  expect(summary!.failed, report).toBe(0);
  expect(code, report).toBe(0);
  expect(summary!.total).toBeGreaterThanOrEqual(AT_LEAST_CASES);
});
