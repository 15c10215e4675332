/**
 * Several verifyd processes on one MongoDB database, as sidecars next to
 * replicas of a service would run: each is a real `verifyd serve` process
 * (so it can be killed with SIGKILL), with its own simulated providers and
 * outbox, and the same code key. Driven over Connect (HTTP/1.1) and plain HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

export interface ClusterOptions {
  mongoUri: string;
  database: string;
  /** Extra simulator rules for sim-a, YAML flow mappings. */
  simARules?: string[];
  deliveryWindow?: string;
  lease?: string;
  maxCheckAttempts?: number;
  /** The `scoring` section, a YAML flow mapping (e.g. "{ sync_interval: 300ms }"). */
  scoring?: string;
}

/** The configuration every instance of a cluster shares; the database URI comes from MONGODB_URI, as in production. */
export function clusterConfigYaml(options: ClusterOptions): string {
  const rules = [
    // sim-a accepts and drops: only the delivery window can tell, and the next provider resends.
    '{ match: "+1202555012*", outcome: drop }',
    ...(options.simARules ?? []),
  ];
  return `
server: { port: 0, host: 127.0.0.1, shutdown_grace: 1s }
store:
  type: mongodb
  uri: \${MONGODB_URI}
  database: ${options.database}
  poll_interval: 50ms
  # FerretDB on SQLite serialises writes; 50 racing Checks on two cores can take seconds.
  timeouts: { server_selection: 1s, connect: 1s, operation: 8s }
security: { code_hmac_key: "multi-instance-hmac-key-0123456789abcdef" }
log: { level: info }
policy:
  code_length: 6
  code_ttl: 2m
  delivery_window: ${options.deliveryWindow ?? "1s"}
  max_check_attempts: ${options.maxCheckAttempts ?? 5}
  resend_min_interval: 100ms
rate_limits:
  per_phone: { limit: 1000, window: 10m }
  per_ip: { limit: 100000, window: 10m }
  check_per_ip: { limit: 100000, window: 10m }
timers: { poll_interval: 50ms, lease: ${options.lease ?? "2s"} }
providers:
  - name: sim-a
    type: simulator
    channels: [sms]
    timeout: 10s
    simulate:
      default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 200 }
      rules:
${rules.map((rule) => `        - ${rule}`).join("\n")}
  - name: sim-b
    type: simulator
    channels: [sms]
    simulate:
      default: { outcome: deliver, latency_ms: 0, dlr_delay_ms: 200 }
routing:
  default: [sim-a, sim-b]
${options.scoring ? `scoring: ${options.scoring}\n` : ""}`;
}

export interface OutboxMessage {
  provider: string;
  to: string;
  body: string;
  at: string;
}

export interface VerifydInstance {
  readonly name: string;
  readonly url: string;
  readonly client: Client<typeof VerificationService>;
  readonly admin: Client<typeof AdminService>;
  /** What this instance's simulators sent to `to`. */
  outbox(to: string): Promise<OutboxMessage[]>;
  /** Waits until this instance's simulators sent `count` messages to `to`. */
  waitForOutbox(to: string, count: number, timeoutMs?: number): Promise<OutboxMessage[]>;
  /** The HTTP status of GET /readyz, or 0 when the process does not answer. */
  readyz(): Promise<number>;
  /** SIGKILL: no shutdown, leases and in-flight sends left as they are. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** Everything the process wrote, for failure messages. */
  output(): string;
}

export interface Cluster {
  readonly instances: VerifydInstance[];
  stop(): Promise<void>;
}

export async function startCluster(names: string[], options: ClusterOptions): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "verifyd-cluster-"));
  const configPath = join(dir, "verifyd.yaml");
  writeFileSync(configPath, clusterConfigYaml(options));
  const instances = await Promise.all(names.map((name) => startInstance(name, configPath, options.mongoUri)));
  return {
    instances,
    async stop() {
      await Promise.all(instances.map((instance) => instance.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startInstance(name: string, configPath: string, mongoUri: string): Promise<VerifydInstance> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--config", configPath, "--port", "0"], {
    cwd: REPO,
    env: { ...process.env, MONGODB_URI: mongoUri },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Should the test process end early, its verifyd processes must not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`verifyd ${name} did not start within 30 s:\n${output}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      // pino writes one JSON object per line; the "verifyd listening" line carries the bound URL.
      for (const line of output.split("\n")) {
        if (!line.includes('"verifyd listening"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`verifyd ${name} exited with ${code}:\n${output}`));
    });
  });
  const transport = createConnectTransport({ baseUrl: url, httpVersion: "1.1" });
  const client = createClient(VerificationService, transport);
  const admin = createClient(AdminService, transport);

  const outbox = async (to: string): Promise<OutboxMessage[]> => {
    const response = await fetch(`${url}/sim/outbox?to=${encodeURIComponent(to)}`);
    return ((await response.json()) as { messages: OutboxMessage[] }).messages;
  };
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

  return {
    name,
    url,
    client,
    admin,
    outbox,
    async waitForOutbox(to, count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = await outbox(to);
        if (messages.length >= count) return messages;
        if (Date.now() > deadline) throw new Error(`${name}: ${messages.length} of ${count} messages to ${to} after ${timeoutMs} ms`);
        await sleep(25);
      }
    },
    async readyz() {
      try {
        const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
        return response.status;
      } catch {
        return 0;
      }
    },
    async kill() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
      await exited;
    },
    output: () => output,
  };
}

/** The code in a simulated SMS. */
export function codeIn(body: string): string {
  const match = /\b(\d{6})\b/.exec(body);
  if (!match) throw new Error(`no code in "${body}"`);
  return match[1]!;
}

/** Distinct E.164 numbers (+1 and ten digits) starting with `prefix`, one per call. */
export function numberFactory(prefix: string): () => string {
  let next = 0;
  return () => `${prefix}${String(next++).padStart(12 - prefix.length, "0")}`;
}
