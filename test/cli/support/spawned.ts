/**
 * A command started as a user would start it (`node dist/src/main.js serve`,
 * `npm start`), read until verifyd says it is listening.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { REPO } from "./build.js";

export interface Spawned {
  readonly child: ChildProcess;
  /** verifyd's log lines so far (JSON), in order. */
  readonly logs: Array<Record<string, unknown>>;
  /** The "verifyd listening" line. */
  readonly listening: Record<string, unknown>;
  /** Settles once the process has exited: its exit code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts `command` in the repository and waits for "verifyd listening" (rejects if it exits first). */
export async function spawnUntilListening(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Spawned> {
  const child = spawn(command, args, { cwd: REPO, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  // "close": after the process exited and its output was read to the end.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => {
      process.off("exit", killOnExit);
      resolve({ code, signal });
    }),
  );
  let output = "";
  const logs: Array<Record<string, unknown>> = [];
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => reject(new Error(`${command} ${args.join(" ")} did not listen within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output += `${line}\n`;
      if (!line.startsWith("{")) return;
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === "verifyd listening") {
        clearTimeout(timer);
        resolve(entry);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(" ")} exited (${code ?? signal}) before listening:\n${output}`));
    });
  }).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  return { child, logs, listening, exited, output: () => output };
}

/** Runs a command to its end: exit code, stdout, stderr. */
export async function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, [...args], { cwd: REPO, env, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === "number" ? failed.code : 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

/** The process ids whose parent is `pid` (Linux /proc; empty elsewhere). */
export async function childrenOf(pid: number): Promise<number[]> {
  const { stdout } = await run("ps", ["-o", "pid=", "--ppid", String(pid)]);
  return stdout
    .split("\n")
    .map((line) => Number(line.trim()))
    .filter((child) => Number.isInteger(child) && child > 0);
}
