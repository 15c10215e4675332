/**
 * Several verifyd processes on one MongoDB database, as sidecars next to
 * replicas of a service would run: each is a real `verifyd serve` process
 * (so it can be killed with SIGKILL), with its own simulated providers and
 * outbox, and the same code key. Driven over Connect (HTTP/1.1) and plain HTTP.
 */
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AdminService } from "../../gen/verify/admin/v1/admin_pb.js";
import { VerificationService } from "../../gen/verify/v1/verify_pb.js";
import { type ConfigLayer, testConfigYaml } from "../support/config.js";
import { type OutboxMessage, readOutbox, waitForOutbox } from "../support/outbox.js";
import { startVerifydProcess } from "../support/process.js";

export interface ClusterOptions {
  mongoUri: string;
  database: string;
  /** Extra simulator rules for sim-a, ahead of the scenario's own. */
  simARules?: ConfigLayer[];
  deliveryWindow?: string;
  lease?: string;
  maxCheckAttempts?: number;
  /** The `scoring` section, e.g. { sync_interval: "300ms" }. */
  scoring?: ConfigLayer;
}

/** The configuration every instance of a cluster shares; the database URI comes from MONGODB_URI, as in production. */
export function clusterConfig(options: ClusterOptions): ConfigLayer {
  const rules = [
    // sim-a accepts and drops: only the delivery window can tell, and the next provider resends.
    { match: "+1202555012*", outcome: "drop" },
    ...(options.simARules ?? []),
  ];
  return {
    server: { shutdown_grace: "1s" },
    store: {
      type: "mongodb",
      uri: "${MONGODB_URI}",
      database: options.database,
      poll_interval: "50ms",
      // FerretDB on SQLite serialises writes; 50 racing Checks on two cores can take seconds.
      timeouts: { server_selection: "1s", connect: "1s", operation: "8s" },
    },
    // Logged at info: the process launcher reads the "verifyd listening" line.
    log: { level: "info" },
    policy: {
      code_length: 6,
      code_ttl: "2m",
      delivery_window: options.deliveryWindow ?? "1s",
      max_check_attempts: options.maxCheckAttempts ?? 5,
      resend_min_interval: "100ms",
    },
    rate_limits: { per_ip: { limit: 100_000 }, check_per_ip: { limit: 100_000 } },
    timers: { poll_interval: "50ms", lease: options.lease ?? "2s" },
    providers: [
      {
        name: "sim-a",
        type: "simulator",
        channels: ["sms"],
        timeout: "10s",
        simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 200 }, rules },
      },
      {
        name: "sim-b",
        type: "simulator",
        channels: ["sms"],
        simulate: { default: { outcome: "deliver", latency_ms: 0, dlr_delay_ms: 200 } },
      },
    ],
    routing: { default: ["sim-a", "sim-b"] },
    ...(options.scoring ? { scoring: options.scoring } : {}),
  };
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
  const configYaml = testConfigYaml(clusterConfig(options));
  const instances = await Promise.all(names.map((name) => startInstance(name, configYaml, options.mongoUri)));
  return {
    instances,
    async stop() {
      await Promise.all(instances.map((instance) => instance.stop()));
    },
  };
}

async function startInstance(name: string, configYaml: string, mongoUri: string): Promise<VerifydInstance> {
  const verifyd = await startVerifydProcess(configYaml, { name: `verifyd ${name}`, env: { ...process.env, MONGODB_URI: mongoUri } });
  const url = verifyd.url;
  const transport = createConnectTransport({ baseUrl: url, httpVersion: "1.1" });
  return {
    name,
    url,
    client: createClient(VerificationService, transport),
    admin: createClient(AdminService, transport),
    outbox: (to) => readOutbox(url, to),
    waitForOutbox: (to, count, timeoutMs = 10_000) => waitForOutbox(url, to, count, timeoutMs),
    async readyz() {
      try {
        const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
        return response.status;
      } catch {
        return 0;
      }
    },
    kill: () => verifyd.kill(),
    stop: () => verifyd.stop(),
    output: () => verifyd.output(),
  };
}

/** Distinct E.164 numbers (+1 and ten digits) starting with `prefix`, one per call. */
export function numberFactory(prefix: string): () => string {
  let next = 0;
  return () => `${prefix}${String(next++).padStart(12 - prefix.length, "0")}`;
}
