/**
 * The throughput part of bench/RESULTS.md: issue 13's targets, every phase
 * summed over its rounds, and what each figure means.
 */
import { type ClientKind, fmtInt, fmtMs, type Rpc } from "./shared.js";
import type { ServerKind, ThroughputPhase, ThroughputResults } from "./throughput.js";

/** Issue 13: against the bare grpc-js echo, measured in the same run. */
export const THROUGHPUT_TARGETS = { echo: 0.8, start: 0.3, check: 0.5 } as const;
export const TARGET_STEADY_P99_MS = 10;

export const CLIENT_NAMES: Record<ClientKind, string> = {
  "raw-grpc": "gRPC on node:http2 (bench/load-client.ts rawApi)",
  raw: "Connect protocol, binary, on node:http2 (bench/load-client.ts rawApi)",
  connect: "@connectrpc/connect-node createConnectTransport (HTTP/2, binary)",
  grpc: "@connectrpc/connect-node createGrpcTransport",
};
const SERVER_NAMES: Record<ServerKind, string> = { verifyd: "verifyd", "grpc-js": "bare @grpc/grpc-js echo", "connect-node": "bare @connectrpc/connect-node echo" };
const RPC_NAMES: Record<Rpc, string> = { echo: "Echo", start: "Start", check: "Check" };

/** One server, client and RPC over all its rounds. */
export interface Summed {
  server: ServerKind;
  client: ClientKind;
  rpc: Rpc;
  rounds: number;
  calls: number;
  errors: number;
  throughput: number;
  cpuUsPerCall: number;
  /** Each round's calls/s, in order. */
  perRound: number[];
  p50: number;
  p99: number;
}

/** Sums the closed-loop phases by server, client and RPC (the steady-rate phase, round 0, is left out). */
export function sumRounds(phases: readonly ThroughputPhase[]): Summed[] {
  const groups = new Map<string, ThroughputPhase[]>();
  for (const phase of phases) {
    if (phase.round === 0) continue;
    const key = `${phase.server}|${phase.client}|${phase.rpc}`;
    groups.set(key, [...(groups.get(key) ?? []), phase]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const calls = group.reduce((sum, p) => sum + p.count, 0);
    const ms = group.reduce((sum, p) => sum + p.durationMs, 0);
    const cpu = group.reduce((sum, p) => sum + p.serverCpuUsPerCall * p.count, 0);
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    return {
      server: first.server,
      client: first.client,
      rpc: first.rpc,
      rounds: group.length,
      calls,
      errors: group.reduce((sum, p) => sum + p.errors, 0),
      throughput: (calls / ms) * 1000,
      cpuUsPerCall: calls > 0 ? cpu / calls : Number.NaN,
      perRound: group.map((p) => p.throughput),
      p50: median(group.map((p) => p.latency.p50)),
      p99: median(group.map((p) => p.latency.p99)),
    };
  });
}

function find(summed: readonly Summed[], server: ServerKind, client: ClientKind, rpc: Rpc): Summed | undefined {
  return summed.find((s) => s.server === server && s.client === client && s.rpc === rpc);
}

const passFail = (ok: boolean) => (ok ? "PASS" : "**FAIL**");

/** The rows of the Targets table that throughput answers. */
export function throughputTargetRows(results: ThroughputResults): string[] {
  const summed = sumRounds(results.phases);
  const ceiling = find(summed, "grpc-js", "raw-grpc", "echo");
  const rows: string[] = [];
  if (!ceiling) return rows;
  rows.push(`| Bare @grpc/grpc-js echo (the ceiling) | ${fmtInt(ceiling.throughput)} calls/s, ${ceiling.cpuUsPerCall.toFixed(0)} µs server CPU per call | — | — |`);
  const connectNode = find(summed, "connect-node", "raw-grpc", "echo");
  if (connectNode) {
    rows.push(
      `| Bare @connectrpc/connect-node echo | ${fmtInt(connectNode.throughput)} calls/s = ${(connectNode.throughput / ceiling.throughput).toFixed(2)} × grpc-js, ${connectNode.cpuUsPerCall.toFixed(0)} µs per call | — | — |`,
    );
  }
  for (const rpc of ["echo", "start", "check"] as const) {
    const phase = find(summed, "verifyd", "raw-grpc", rpc);
    if (!phase) continue;
    const ratio = phase.throughput / ceiling.throughput;
    const cpuRatio = ceiling.cpuUsPerCall / phase.cpuUsPerCall;
    const target = THROUGHPUT_TARGETS[rpc];
    rows.push(
      `| verifyd ${RPC_NAMES[rpc]} over gRPC | ${fmtInt(phase.throughput)} calls/s = **${ratio.toFixed(2)} × grpc-js echo** (by server CPU per call: ${phase.cpuUsPerCall.toFixed(0)} µs = ${cpuRatio.toFixed(2)} ×) | ≥ ${target} × | ${passFail(ratio >= target && phase.errors === 0)} |`,
    );
  }
  const steady = results.phases.find((p) => p.round === 0);
  if (steady) {
    rows.push(
      `| Start latency at a steady ${fmtInt(steady.throughput)} Starts/s (gRPC, open loop) | p99 ${fmtMs(steady.latency.p99)} (p50 ${fmtMs(steady.latency.p50)}, max ${fmtMs(steady.latency.max)}) | p99 < ${TARGET_STEADY_P99_MS} ms | ${passFail(steady.latency.p99 < TARGET_STEADY_P99_MS && steady.errors === 0)} |`,
    );
  }
  return rows;
}

/** The "Unary throughput and latency" section. */
export function throughputSection(results: ThroughputResults, settings: { concurrency: number; warmupMs: number; durationMs: number }): string[] {
  const summed = sumRounds(results.phases);
  const lines = ["## Unary throughput and latency", ""];
  lines.push(
    "| Server | Client | RPC | calls/s (rounds) | × grpc-js echo | × own echo | p50 | p99 | calls | errors | server CPU per call |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  );
  const ceiling = find(summed, "grpc-js", "raw-grpc", "echo");
  for (const s of summed) {
    const ownEcho = find(summed, s.server, s.client, "echo");
    lines.push(
      `| ${SERVER_NAMES[s.server]} | ${s.client} | ${RPC_NAMES[s.rpc]} | ${fmtInt(s.throughput)} (${s.perRound.map((t) => fmtInt(t)).join(" / ")}) | ` +
        `${ceiling ? (s.throughput / ceiling.throughput).toFixed(2) : "—"} | ${ownEcho ? (s.throughput / ownEcho.throughput).toFixed(2) : "—"} | ` +
        `${fmtMs(s.p50)} | ${fmtMs(s.p99)} | ${fmtInt(s.calls)} | ${s.errors} | ${s.cpuUsPerCall.toFixed(0)} µs |`,
    );
  }
  const clients = [...new Set(summed.map((s) => s.client))];
  lines.push("", `Clients: ${clients.map((c) => `\`${c}\` = ${CLIENT_NAMES[c]}`).join("; ")}.`, "");
  lines.push(
    `Method: ${settings.concurrency} calls in flight over one HTTP/2 connection, ${settings.warmupMs / 1000} s warm-up + ${settings.durationMs / 1000} s measured per phase; ` +
      "each round measures the bare baselines (each its own process, bench/baseline-server.ts) and then verifyd, so every ratio compares servers measured minutes apart on the same machine; " +
      "calls/s sums the rounds, p50/p99 are the median round's. " +
      (results.pinned
        ? "Every server process was pinned to CPU 0 and the load client to CPU 1 (taskset), as issue 13 measured, so a server gets one core and the client never competes with it. "
        : "The processes were not pinned (taskset missing or one CPU). ") +
      "Server CPU per call is the server process's CPU time (its own cpuUsage, or /proc for the baselines) divided by the calls it completed: it depends on the client far less than throughput does.",
  );
  lines.push("");
  return lines;
}
