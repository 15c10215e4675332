/**
 * The load generator, forked by run.ts into its own process so that its CPU
 * does not share the server's event loop. It keeps a fixed number of unary
 * calls in flight over one HTTP/2 connection, warms up, then measures for a
 * fixed time, and reports throughput and latency back over IPC. The calls go
 * out through a client run.ts picks (see ClientKind in shared.ts).
 *
 * Start: every call uses a phone number never used before (one active
 * verification per number), from a pool of valid numbers made up front.
 * Check: the verifications made by the Start phase, checked round-robin with
 * a code that is wrong on purpose ("000000"), so every call takes the full
 * path (HMAC, write, event) without locking (max_check_attempts is 100).
 */
import http2 from "node:http2";
import { cpuUsage } from "node:process";
import { create, type DescMessage, fromBinary, type MessageInitShape, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { EchoRequestSchema, EchoResponseSchema, EchoService } from "../gen/verify/bench/v1/echo_pb.js";
import { CheckRequestSchema, CheckResponseSchema, StartRequestSchema, StartResponseSchema, VerificationService } from "../gen/verify/v1/verify_pb.js";
import { type ClientCommand, type ClientKind, type ClientMessage, type PhaseResult, phonePool, type Rpc, Samples } from "./shared.js";

const WRONG_CODE = "000000";
const CLIENT_IP = "203.0.113.7";
/** Leave a verification this many checks short of its 100 attempts, so none locks mid-phase. */
const CHECKS_PER_VERIFICATION = 90;

/** The three calls, whatever carries them. */
interface Api {
  echo(message: string): Promise<void>;
  /** Resolves to the new verification's id. */
  start(phoneNumber: string, clientIp: string): Promise<string>;
  /** Resolves to `approved`. */
  check(verificationId: string, code: string, clientIp: string): Promise<boolean>;
  close(): void;
}

let api: Api | undefined;
let clientKind: ClientKind = "raw";
let pool: string[] = [];
let poolNext = 0;
const verificationIds: string[] = [];

function send(message: ClientMessage): void {
  process.send?.(message);
}

/** @connectrpc/connect's client on its Node transport: Connect (binary, HTTP/2) or gRPC. */
function connectApi(url: string, kind: "connect" | "grpc"): Api {
  const transport = kind === "grpc" ? createGrpcTransport({ baseUrl: url }) : createConnectTransport({ baseUrl: url, httpVersion: "2", useBinaryFormat: true });
  const echo = createClient(EchoService, transport);
  const verify = createClient(VerificationService, transport);
  return {
    async echo(message) {
      await echo.echo({ message });
    },
    async start(phoneNumber, clientIp) {
      const response = await verify.start({ phoneNumber, clientIp });
      const id = response.verification?.id;
      if (!id) throw new Error("Start answered without a verification id");
      return id;
    },
    async check(verificationId, code, clientIp) {
      return (await verify.check({ verificationId, code, clientIp })).approved;
    },
    close() {},
  };
}

type RawCall = <I extends DescMessage, O extends DescMessage>(path: string, input: I, output: O, init: MessageInitShape<I>) => Promise<MessageShape<O>>;

/**
 * Unary calls written directly on node:http2, one POST per call: the Connect
 * protocol (binary) or gRPC. Same wire format and server path as the library
 * clients, at a fraction of their CPU, so that on a 2-core machine the server
 * is what limits the figures, not the client.
 */
function rawApi(url: string, protocol: "connect" | "grpc"): Api {
  const session = http2.connect(url);
  session.on("error", () => {});
  const call: RawCall = protocol === "grpc" ? rawGrpcCall(session) : rawConnectCall(session);
  return {
    async echo(message) {
      await call("/verify.bench.v1.EchoService/Echo", EchoRequestSchema, EchoResponseSchema, { message });
    },
    async start(phoneNumber, clientIp) {
      const response = await call("/verify.v1.VerificationService/Start", StartRequestSchema, StartResponseSchema, { phoneNumber, clientIp });
      const id = response.verification?.id;
      if (!id) throw new Error("Start answered without a verification id");
      return id;
    },
    async check(verificationId, code, clientIp) {
      return (await call("/verify.v1.VerificationService/Check", CheckRequestSchema, CheckResponseSchema, { verificationId, code, clientIp })).approved;
    },
    close() {
      session.close();
    },
  };
}

function rawConnectCall(session: http2.ClientHttp2Session): RawCall {
  return (path, input, output, init) =>
    new Promise((resolve, reject) => {
      const body = toBinary(input, create(input, init));
      const stream = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/proto",
        "connect-protocol-version": "1",
        "content-length": body.length,
      });
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on("response", (headers) => (status = Number(headers[":status"])));
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("end", () => {
        const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        if (status === 200) {
          resolve(fromBinary(output, data));
          return;
        }
        let detail = data.toString("utf8");
        try {
          const error = JSON.parse(detail) as { code?: string; message?: string };
          detail = `${error.code}: ${error.message}`;
        } catch {}
        reject(new Error(`HTTP ${status} ${detail}`));
      });
      stream.end(body);
    });
}

/** gRPC: the message in a 5-byte envelope, the status in the trailers (or in the headers of a trailers-only answer). */
function rawGrpcCall(session: http2.ClientHttp2Session): RawCall {
  return (path, input, output, init) =>
    new Promise((resolve, reject) => {
      const message = toBinary(input, create(input, init));
      const body = Buffer.allocUnsafe(5 + message.length);
      body[0] = 0;
      body.writeUInt32BE(message.length, 1);
      body.set(message, 5);
      const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
      let grpcStatus: string | undefined;
      let grpcMessage = "";
      const chunks: Buffer[] = [];
      const readStatus = (headers: http2.IncomingHttpHeaders) => {
        if (headers["grpc-status"] !== undefined) {
          grpcStatus = String(headers["grpc-status"]);
          grpcMessage = decodeURIComponent(String(headers["grpc-message"] ?? ""));
        }
      };
      stream.on("response", readStatus);
      stream.on("trailers", readStatus);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("error", reject);
      stream.on("end", () => {
        if (grpcStatus !== "0") {
          reject(new Error(`grpc-status ${grpcStatus} ${grpcMessage}`));
          return;
        }
        const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        resolve(fromBinary(output, data.subarray(5, 5 + data.readUInt32BE(1))));
      });
      stream.end(body);
    });
}

/** One call of the phase's kind; "exhausted" when the phase has run out of inputs. */
type Call = () => Promise<"ok" | "approved" | "exhausted">;

function callFor(rpc: Rpc): Call {
  const client = api;
  if (!client) throw new Error("prepare first");
  switch (rpc) {
    case "echo": {
      let n = 0;
      return async () => {
        // About the size of a phone number, like the Start and Check requests.
        await client.echo(`+1202${String(2000000 + (n++ % 1000000))}`);
        return "ok";
      };
    }
    case "start":
      return async () => {
        const phoneNumber = pool[poolNext++];
        if (phoneNumber === undefined) return "exhausted";
        verificationIds.push(await client.start(phoneNumber, CLIENT_IP));
        return "ok";
      };
    case "check": {
      let n = 0;
      const limit = verificationIds.length * CHECKS_PER_VERIFICATION;
      return async () => {
        if (n >= limit) return "exhausted";
        const verificationId = verificationIds[n++ % verificationIds.length]!;
        return (await client.check(verificationId, WRONG_CODE, CLIENT_IP)) ? "approved" : "ok";
      };
    }
  }
}

async function runPhase(rpc: Rpc, concurrency: number, warmupMs: number, durationMs: number): Promise<PhaseResult> {
  const call = callFor(rpc);
  const latencies = new Samples(1 << 18);
  let measuring = false;
  let stopped = false;
  let exhausted = false;
  let count = 0;
  let errors = 0;
  let approved = 0;
  const errorSamples: string[] = [];
  let windowStart = 0;
  let windowEnd = Infinity;

  const worker = async () => {
    while (!stopped) {
      const began = performance.now();
      let outcome: "ok" | "approved" | "exhausted" | "error";
      try {
        outcome = await call();
      } catch (error) {
        outcome = "error";
        if (measuring) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(error instanceof ConnectError ? `${Code[error.code]}: ${error.rawMessage}` : String(error));
        }
      }
      if (outcome === "exhausted") {
        exhausted = true;
        stopped = true;
        break;
      }
      const ended = performance.now();
      // Throughput counts the calls that complete inside the measured window, with their latencies.
      if (measuring && ended >= windowStart && ended <= windowEnd && outcome !== "error") {
        count++;
        if (outcome === "approved") approved++;
        latencies.push(ended - began);
      }
    }
  };

  const workers = Array.from({ length: concurrency }, worker);
  const cpuAtEnd = await (async () => {
    await waitOrStop(warmupMs, () => stopped);
    measuring = true;
    windowStart = performance.now();
    send({ type: "mark", rpc, edge: "begin" });
    const cpuStart = cpuUsage();
    await waitOrStop(durationMs, () => stopped);
    windowEnd = performance.now();
    const cpu = cpuUsage(cpuStart);
    send({ type: "mark", rpc, edge: "end" });
    stopped = true;
    return cpu;
  })();
  await Promise.all(workers);
  const measuredMs = windowEnd - windowStart;
  return {
    rpc,
    client: clientKind,
    concurrency,
    count,
    errors,
    errorSamples,
    approved,
    durationMs: measuredMs,
    throughput: (count / measuredMs) * 1000,
    latency: latencies.distribution(),
    clientCpuPct: ((cpuAtEnd.user + cpuAtEnd.system) / 1000 / measuredMs) * 100,
    exhausted,
  };
}

/** Calls in flight at most in a fixed-rate phase; past it a call is counted as an error, not queued. */
const RATE_MAX_IN_FLIGHT = 2_000;

/**
 * Open-loop load: calls start on a fixed schedule whatever the answers do,
 * and each latency runs from the call's scheduled time, so a stalled server
 * shows as latency rather than as fewer calls (no coordinated omission).
 */
async function runAtRate(rpc: Rpc, ratePerSecond: number, warmupMs: number, durationMs: number): Promise<PhaseResult> {
  const call = callFor(rpc);
  const latencies = new Samples(1 << 18);
  const errorSamples: string[] = [];
  const counts = { count: 0, errors: 0, approved: 0, inFlight: 0, exhausted: false };
  const began = performance.now();
  const windowStart = began + warmupMs;
  const windowEnd = windowStart + durationMs;
  const inWindow = (t: number) => t >= windowStart && t <= windowEnd;
  const issue = (scheduled: number) => {
    if (counts.inFlight >= RATE_MAX_IN_FLIGHT) {
      if (inWindow(scheduled)) counts.errors++;
      return;
    }
    counts.inFlight++;
    // Latency from the call's scheduled time, unless the client itself woke late (timer granularity):
    // then from when it sent, so that the client's own lag is not counted as the server's.
    const sent = performance.now();
    if (sent - scheduled > 1) scheduled = sent;
    call().then(
      (outcome) => {
        counts.inFlight--;
        if (outcome === "exhausted") counts.exhausted = true;
        else if (inWindow(scheduled)) {
          counts.count++;
          if (outcome === "approved") counts.approved++;
          latencies.push(performance.now() - scheduled);
        }
      },
      (error: unknown) => {
        counts.inFlight--;
        if (!inWindow(scheduled)) return;
        counts.errors++;
        if (errorSamples.length < 5) errorSamples.push(String(error));
      },
    );
  };
  const cpuStart = await scheduleCalls(rpc, issue, ratePerSecond, { began, windowStart, windowEnd }, () => counts.exhausted);
  const cpu = cpuUsage(cpuStart);
  send({ type: "mark", rpc, edge: "end" });
  await waitOrStop(5_000, () => counts.inFlight === 0);
  return {
    rpc,
    client: clientKind,
    concurrency: 0,
    count: counts.count,
    errors: counts.errors,
    errorSamples,
    approved: counts.approved,
    durationMs,
    throughput: (counts.count / durationMs) * 1000,
    latency: latencies.distribution(),
    clientCpuPct: ((cpu.user + cpu.system) / 1000 / durationMs) * 100,
    exhausted: counts.exhausted,
  };
}

/** Issues the calls due every millisecond or so until `windowEnd`; returns the CPU reading taken as the window began. */
async function scheduleCalls(
  rpc: Rpc,
  issue: (scheduled: number) => void,
  ratePerSecond: number,
  { began, windowStart, windowEnd }: { began: number; windowStart: number; windowEnd: number },
  stop: () => boolean,
): Promise<NodeJS.CpuUsage> {
  const interval = 1000 / ratePerSecond;
  let next = began;
  let cpuStart: NodeJS.CpuUsage | undefined;
  while (next <= windowEnd && !stop()) {
    const now = performance.now();
    if (!cpuStart && now >= windowStart) {
      send({ type: "mark", rpc, edge: "begin" });
      cpuStart = cpuUsage();
    }
    while (next <= now && next <= windowEnd) {
      issue(next);
      next += interval;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return cpuStart ?? cpuUsage();
}

/** Sleeps `ms`, waking early once `stop()` says so (checked every 20 ms). */
async function waitOrStop(ms: number, stop: () => boolean): Promise<void> {
  const until = performance.now() + ms;
  while (!stop()) {
    const left = until - performance.now();
    if (left <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(20, left)));
  }
}

process.on("message", (command: ClientCommand) => {
  void (async () => {
    switch (command.type) {
      case "prepare": {
        const began = performance.now();
        const skip = command.skip ?? 0;
        pool = phonePool(skip + command.poolSize).slice(skip);
        send({ type: "ready", poolSize: pool.length, poolMs: performance.now() - began });
        return;
      }
      case "client": {
        api?.close();
        clientKind = command.client;
        api =
          command.client === "raw"
            ? rawApi(command.url, "connect")
            : command.client === "raw-grpc"
              ? rawApi(command.url, "grpc")
              : connectApi(command.url, command.client);
        send({ type: "client-ready" });
        return;
      }
      case "run": {
        const result = command.ratePerSecond
          ? await runAtRate(command.rpc, command.ratePerSecond, command.warmupMs, command.durationMs)
          : await runPhase(command.rpc, command.concurrency, command.warmupMs, command.durationMs);
        send({ type: "result", result });
        return;
      }
      case "exit":
        api?.close();
        process.disconnect?.();
        process.exit(0);
    }
  })().catch((error: unknown) => {
    send({ type: "log", message: `load client failed: ${error instanceof Error ? error.stack : String(error)}` });
    process.exit(1);
  });
});
