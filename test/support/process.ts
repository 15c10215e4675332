/**
 * verifyd as its own process, for what only a process can show: SIGTERM and
 * SIGKILL, several instances on one database, traces exported to a real
 * collector. It runs `verifyd serve` (src/main.ts) with a configuration from
 * the same builder as the in-process server (testConfigYaml in config.ts),
 * written to a file, on a free port.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

export interface VerifydProcessOptions {
  /** Names the process in failure messages. */
  name?: string;
  /** The whole environment of the process; this one's by default. */
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the "verifyd listening" log line. */
  startTimeoutMs?: number;
}

export interface VerifydProcess {
  readonly name: string;
  /** Where it listens, as its "verifyd listening" log line says. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Its log lines (pino writes one JSON object per line), in order; the configuration must log at info or lower. */
  readonly logs: Array<Record<string, unknown>>;
  /** Settles with the exit code once the process has exited (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Everything it wrote, for failure messages. */
  output(): string;
  /** SIGKILL: no shutdown at all. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s) unless it has exited already; then removes its configuration file. */
  stop(): Promise<void>;
}

/** Starts `verifyd serve --config <file> --port 0` and waits until it listens. */
export async function startVerifydProcess(configYaml: string, options: VerifydProcessOptions = {}): Promise<VerifydProcess> {
  const name = options.name ?? "verifyd";
  const dir = await mkdtemp(join(tmpdir(), "verifyd-test-"));
  const configPath = join(dir, "verifyd.yaml");
  await writeFile(configPath, configYaml);
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--config", configPath, "--port", "0"], {
    cwd: REPO,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Should the test process end early, its verifyd processes must not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      process.off("exit", killOnExit);
      resolve(code);
    }),
  );
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;

  let output = "";
  const logs: Array<Record<string, unknown>> = [];
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output += `${line}\n`;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // Not a log line.
      }
      logs.push(entry);
      if (entry.msg === "verifyd listening") {
        clearTimeout(timer);
        resolve(String(entry.url));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    if (!hasExited()) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
    throw error;
  });

  return {
    name,
    url,
    child,
    logs,
    exited,
    output: () => output,
    async kill() {
      if (!hasExited()) child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (!hasExited()) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
