/**
 * What the interop suites share: the live verifyd they start (the end-to-end
 * scenario, whose sim-a rejects +1202555011x so the Start fails over to sim-b
 * at once), a runner for the client programs (clients/go/examples/interop,
 * clients/python/examples/interop.py), which print one JSON object per step,
 * and the one judgement of that transcript, the same for every language.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { expect } from "vitest";
import { E2E_SCENARIO } from "../e2e/scenario.js";
import type { ConfigLayer } from "../support/config.js";

/** Pulls clients/typescript/quickstart.ts (the README's example) into `npm run typecheck`, which covers test/ only. */
export type TypeScriptQuickstart = typeof import("../../clients/typescript/quickstart.js");

export const REPO = resolve(import.meta.dirname, "../..");
export const INSTALL_HINT = "run `bash scripts/install-codegen-tools.sh`";
export const execFileAsync = promisify(execFile);

/** The e2e scenario with a code that outlives a slow machine: the programs check it seconds after the Start. */
export const INTEROP_CONFIG: readonly ConfigLayer[] = [E2E_SCENARIO, { policy: { code_ttl: "2m" } }];

/** Numbers each suite uses: accepted by sim-a, and rejected by sim-a (fast failover to sim-b). */
export interface InteropNumbers {
  number: string;
  failoverNumber: string;
}

export function requireFile(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`${what} is missing (${path}): ${INSTALL_HINT}`);
}

export type Step = Record<string, unknown> & { step: string };

/** Runs a client program to its end and returns the steps it printed; a failure shows everything it wrote. */
export async function runSteps(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Step[]> {
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((done, fail) => {
    execFile(command, args, { cwd: options.cwd ?? REPO, env: options.env ?? process.env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return fail(new Error(`${command} did not run: ${error.message}\n${stderr}`));
      done({ stdout, stderr, code: error ? (error.code as number) : 0 });
    });
  });
  const steps = stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Step);
  expect(code, `${command} exited ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
  return steps;
}

/** The one step named `name` (or the ones, with `all`). */
function stepsNamed(steps: readonly Step[], name: string): Step[] {
  return steps.filter((step) => step.step === name);
}

/** Judges a transcript: every scenario the issue names, in the order the programs run them. */
export function expectInteropTranscript(steps: readonly Step[], numbers: InteropNumbers): void {
  const transcript = JSON.stringify(steps, null, 1);
  expect(
    steps.map((step) => step.step),
    transcript,
  ).toEqual(["start", "outbox", "check", "check", "watch", "failover", "error", "error", "done"]);
  const [start] = stepsNamed(steps, "start");
  expect(start).toMatchObject({ status: "VERIFICATION_STATUS_SUBMITTED", attempts: [{ number: 1, provider: "sim-a", status: "ATTEMPT_STATUS_SUBMITTED" }] });
  expect(start!.id).toMatch(/^ver_/);
  expect(stepsNamed(steps, "outbox")[0]).toMatchObject({ provider: "sim-a", code_length: 6 });

  // A wrong code is refused and costs an attempt; the right one verifies.
  const [wrong, right] = stepsNamed(steps, "check");
  expect(wrong).toMatchObject({ code: "wrong", approved: false, remaining: 2 });
  expect(wrong!.status).not.toBe("VERIFICATION_STATUS_VERIFIED");
  expect(right).toMatchObject({ code: "right", approved: true, status: "VERIFICATION_STATUS_VERIFIED" });

  // The Watch opened before the checks saw them live and ended OK after the terminal event.
  const watch = stepsNamed(steps, "watch")[0]!;
  const events = watch.events as Array<{ sequence: number; type: string; status: string }>;
  expect(watch.end, transcript).toBe("OK");
  expect(events[0]!.type).toBe("EVENT_TYPE_SNAPSHOT");
  expect(events.map((event) => event.type)).toContain("EVENT_TYPE_CHECK_FAILED");
  expect(events.at(-1)).toMatchObject({ type: "EVENT_TYPE_VERIFIED", status: "VERIFICATION_STATUS_VERIFIED" });
  const sequences = events.map((event) => Number(event.sequence));
  expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  expect(new Set(sequences).size).toBe(sequences.length);

  // sim-a rejected the failover number synchronously; sim-b took it inside the same Start.
  const failover = stepsNamed(steps, "failover")[0]!;
  expect(failover).toMatchObject({
    status: "VERIFICATION_STATUS_SUBMITTED",
    attempts: [
      { number: 1, provider: "sim-a", status: "ATTEMPT_STATUS_REJECTED" },
      { number: 2, provider: "sim-b", status: "ATTEMPT_STATUS_SUBMITTED" },
    ],
  });
  expect((failover.attempts as Array<{ error: string }>)[0]!.error).toMatch(/no_route/);
  expect(failover.id).not.toBe(start!.id);

  const [invalid, notFound] = stepsNamed(steps, "error");
  expect(invalid).toMatchObject({ rpc: "Start", code: "INVALID_ARGUMENT" });
  expect(invalid!.message).toMatch(/phone_number .* cannot be parsed/);
  expect(notFound).toMatchObject({ rpc: "Get", code: "NOT_FOUND" });
  expect(notFound!.message).toMatch(/ver_does_not_exist/);
  expect(numbers.number).not.toBe(numbers.failoverNumber);
}

/**
 * Runs a quickstart example as the README has it: it starts a verification
 * and waits for the code on stdin; `codeFor` answers once the message is out.
 */
export async function runQuickstart(command: string, args: readonly string[], codeFor: () => Promise<string>, options: { cwd?: string } = {}) {
  const child: ChildProcess = spawn(command, args, { cwd: options.cwd ?? REPO, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr!.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  try {
    child.stdin!.end(`${await codeFor()}\n`);
    const code = await Promise.race([exited, sleep(30_000).then(() => "timed out")]);
    return { code, stdout, stderr };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}
