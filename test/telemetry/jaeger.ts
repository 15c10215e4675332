/**
 * A real Jaeger (v1 all-in-one, in-memory storage) for the telemetry suite:
 * the pinned binary scripts/install-tools.sh puts in .tools/bin, started on
 * free ports, and a small client for its query API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const JAEGER_BINARY = resolve(".tools/bin/all-in-one");

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: "CHILD_OF" | "FOLLOWS_FROM"; traceID: string; spanID: string }>;
  tags: Array<{ key: string; type: string; value: string | number | boolean }>;
  logs: Array<{ timestamp: number; fields: Array<{ key: string; value: unknown }> }>;
  processID: string;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

export interface Jaeger {
  /** Where verifyd sends OTLP over HTTP (OTEL_EXPORTER_OTLP_ENDPOINT). */
  readonly otlpHttpEndpoint: string;
  /** The same over gRPC (with OTEL_EXPORTER_OTLP_PROTOCOL=grpc). */
  readonly otlpGrpcEndpoint: string;
  readonly queryUrl: string;
  /** GET /api/traces with the given query parameters. */
  traces(query: Record<string, string>): Promise<JaegerTrace[]>;
  stop(): Promise<void>;
}

/** Starts Jaeger on free ports and waits until its health check answers; throws with its output if it cannot. */
export async function startJaeger(): Promise<Jaeger> {
  if (!existsSync(JAEGER_BINARY)) throw new Error(`${JAEGER_BINARY} is missing: run scripts/install-tools.sh`);
  const [otlpHttp, otlpGrpc, queryHttp, queryGrpc, admin, collectorGrpc, collectorHttp, agentHttp] = await freeTcpPorts(8);
  const [compact, binary, zipkinCompact] = await freeUdpPorts(3);
  const host = (port: number) => `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    JAEGER_BINARY,
    [
      `--collector.otlp.http.host-port=${host(otlpHttp!)}`,
      `--collector.otlp.grpc.host-port=${host(otlpGrpc!)}`,
      `--query.http-server.host-port=${host(queryHttp!)}`,
      `--query.grpc-server.host-port=${host(queryGrpc!)}`,
      `--admin.http.host-port=${host(admin!)}`,
      `--collector.grpc-server.host-port=${host(collectorGrpc!)}`,
      `--collector.http-server.host-port=${host(collectorHttp!)}`,
      `--reporter.grpc.host-port=${host(collectorGrpc!)}`,
      `--http-server.host-port=${host(agentHttp!)}`,
      `--processor.jaeger-compact.server-host-port=${host(compact!)}`,
      `--processor.jaeger-binary.server-host-port=${host(binary!)}`,
      `--processor.zipkin-compact.server-host-port=${host(zipkinCompact!)}`,
      "--memory.max-traces=10000",
    ],
    { env: { ...process.env, SPAN_STORAGE_TYPE: "memory" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jaeger exited with ${child.exitCode}:\n${output.slice(-4000)}`);
    const healthy = await fetch(`http://${host(admin!)}/`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`jaeger did not become healthy within 30 s:\n${output.slice(-4000)}`);
    }
    await sleep(100);
  }

  const queryUrl = `http://${host(queryHttp!)}`;
  return {
    otlpHttpEndpoint: `http://${host(otlpHttp!)}`,
    otlpGrpcEndpoint: `http://${host(otlpGrpc!)}`,
    queryUrl,
    async traces(query) {
      const response = await fetch(`${queryUrl}/api/traces?${new URLSearchParams(query)}`);
      if (!response.ok) throw new Error(`jaeger query answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, sleep(5_000).then(() => child.kill("SIGKILL"))]);
      }
    },
  };
}

export function tag(span: JaegerSpan, key: string): string | number | boolean | undefined {
  return span.tags.find((entry) => entry.key === key)?.value;
}

async function freeTcpPorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((done, fail) => {
          const server = createServer();
          server.once("error", fail);
          server.listen(0, "127.0.0.1", () => done(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

async function freeUdpPorts(count: number): Promise<number[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createSocket>>((done, fail) => {
          const socket = createSocket("udp4");
          socket.once("error", fail);
          socket.bind(0, "127.0.0.1", () => done(socket));
        }),
    ),
  );
  const ports = sockets.map((socket) => socket.address().port);
  await Promise.all(sockets.map((socket) => new Promise<void>((done) => socket.close(() => done()))));
  return ports;
}
