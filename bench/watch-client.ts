/**
 * The load process of the Watch benchmark (bench/watch.ts forks it, so its
 * CPU is not the server's): one server-streaming gRPC Watch per verification,
 * written directly on node:http2 over a few connections, as
 * load-client.ts's rawGrpcCall writes unary calls. It records when each
 * stream's first message (the snapshot) and its first event arrived, and
 * reports over IPC ("advanced" serialization: typed arrays cross as they are).
 *
 * Event times are `performance.timeOrigin + performance.now()`, the clock the
 * server process stamps its triggers with; the server measures the offset
 * between the two processes' clocks over IPC (ping/pong) and corrects for it.
 */
import http2 from "node:http2";
import { cpuUsage } from "node:process";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { EventType, WatchRequestSchema, WatchResponseSchema } from "../gen/verify/v1/verify_pb.js";
import type { WatchClientCommand, WatchClientMessage } from "./watch.js";

const HEADER = 5;

interface Tally {
  /** Streams that have received their first message. */
  opened: number;
  /** Streams that have received the event after the snapshot (CHECK_FAILED). */
  events: number;
  /** Messages after the snapshot that were not the expected CHECK_FAILED (or came out of order). */
  unexpected: number;
  /** Streams that ended, with grpc-status 0 or otherwise. */
  endedOk: number;
  endedOther: number;
  errorSamples: string[];
  openStartedAt: number;
  lastOpenedAt: number;
  /** Per stream: ms from its request to its snapshot (performance.now() clock). */
  firstMessageMs: Float64Array;
  /** Per stream: when its event arrived (timeOrigin + now, ms); NaN until then. */
  eventAt: Float64Array;
}

let sessions: http2.ClientHttp2Session[] = [];
let tally: Tally | undefined;

function send(message: WatchClientMessage): void {
  process.send?.(message);
}

const wallClock = () => performance.timeOrigin + performance.now();

function noteError(t: Tally, message: string): void {
  if (t.errorSamples.length < 5) t.errorSamples.push(message);
}

/** Opens `count` connections and waits for each server's SETTINGS (so no stream is refused for a limit not yet known). */
async function connectAll(url: string, count: number, timeoutMs: number): Promise<http2.ClientHttp2Session[]> {
  const opened = Array.from({ length: count }, () => {
    // The client's own session memory and connection window are raised so that the client is never what limits the figures.
    const session = http2.connect(url, { maxSessionMemory: 256, settings: { initialWindowSize: 1 << 20 } });
    session.on("error", () => {});
    return new Promise<http2.ClientHttp2Session>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SETTINGS from ${url} within ${timeoutMs} ms`)), timeoutMs);
      session.once("remoteSettings", () => {
        clearTimeout(timer);
        session.setLocalWindowSize(64 << 20);
        resolve(session);
      });
      session.once("error", (error) => reject(error));
    });
  });
  return Promise.all(opened);
}

/** Calls `onMessage` with each gRPC message of a stream's data as it is completed (messages may span chunks). */
function messageReader(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer | undefined;
  return (chunk) => {
    let data = pending ? Buffer.concat([pending, chunk]) : chunk;
    while (data.length >= HEADER) {
      const length = data.readUInt32BE(1);
      if (data.length < HEADER + length) break;
      onMessage(data.subarray(HEADER, HEADER + length));
      data = data.subarray(HEADER + length);
    }
    pending = data.length > 0 ? data : undefined;
  };
}

function openStream(t: Tally, session: http2.ClientHttp2Session, index: number, verificationId: string, deadlineS: number): void {
  const message = toBinary(WatchRequestSchema, create(WatchRequestSchema, { verificationId }));
  const body = Buffer.allocUnsafe(HEADER + message.length);
  body[0] = 0;
  body.writeUInt32BE(message.length, 1);
  body.set(message, HEADER);
  const requestedAt = performance.now();
  const stream = session.request({
    ":method": "POST",
    ":path": "/verify.v1.VerificationService/Watch",
    "content-type": "application/grpc",
    te: "trailers",
    "grpc-timeout": `${deadlineS}S`,
  });
  let received = 0;
  let status: string | undefined;
  let statusMessage = "";
  const readStatus = (headers: http2.IncomingHttpHeaders) => {
    if (headers["grpc-status"] === undefined) return;
    status = String(headers["grpc-status"]);
    statusMessage = decodeURIComponent(String(headers["grpc-message"] ?? ""));
  };
  stream.on("response", readStatus);
  stream.on("trailers", readStatus);
  stream.on(
    "data",
    messageReader((payload) => {
      received++;
      if (received === 1) {
        t.lastOpenedAt = performance.now();
        t.firstMessageMs[index] = t.lastOpenedAt - requestedAt;
        t.opened++;
      } else if (received === 2) onEvent(t, index, payload);
    }),
  );
  stream.on("error", (error) => noteError(t, `stream ${index}: ${error.message}`));
  stream.on("close", () => {
    if (status === "0") t.endedOk++;
    else {
      t.endedOther++;
      noteError(t, `stream ${index}: grpc-status ${status ?? "none"} ${statusMessage} (rst ${stream.rstCode})`);
    }
  });
  stream.end(body);
}

function onEvent(t: Tally, index: number, payload: Buffer): void {
  const arrivedAt = wallClock();
  const type = fromBinary(WatchResponseSchema, payload).event?.type;
  if (type !== EventType.CHECK_FAILED) {
    t.unexpected++;
    noteError(t, `stream ${index}: expected CHECK_FAILED after the snapshot, got ${type === undefined ? "no event" : EventType[type]}`);
    return;
  }
  t.eventAt[index] = arrivedAt;
  t.events++;
}

/** Polls `done` every 5 ms until it holds or `timeoutMs` passes; resolves to whether it held. */
async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = cpuUsage(since);
  return (used.user + used.system) / 1000;
};

async function open(command: Extract<WatchClientCommand, { type: "open" }>): Promise<void> {
  const count = command.ids.length;
  const connectBegan = performance.now();
  sessions = await connectAll(command.url, command.connections, command.timeoutMs);
  const connectMs = performance.now() - connectBegan;
  const t: Tally = {
    opened: 0,
    events: 0,
    unexpected: 0,
    endedOk: 0,
    endedOther: 0,
    errorSamples: [],
    openStartedAt: performance.now(),
    lastOpenedAt: Number.NaN,
    firstMessageMs: new Float64Array(count).fill(Number.NaN),
    eventAt: new Float64Array(count).fill(Number.NaN),
  };
  tally = t;
  const cpuStart = cpuUsage();
  for (let i = 0; i < count; i++) openStream(t, sessions[i % sessions.length]!, i, command.ids[i]!, command.deadlineS);
  const issuedMs = performance.now() - t.openStartedAt;
  const allOpened = await until(() => t.opened === count || t.endedOther > 0, command.timeoutMs);
  send({
    type: "opened",
    opened: t.opened,
    // Not every stream opened, and none failed: the time limit ran out.
    timedOut: !allOpened && t.endedOther === 0,
    openMs: t.lastOpenedAt - t.openStartedAt,
    connectMs,
    issuedMs,
    firstMessageMs: t.firstMessageMs,
    failed: t.endedOther,
    errorSamples: t.errorSamples,
    cpuMs: cpuMs(cpuStart),
  });
}

async function collect(t: Tally, count: number, timeoutMs: number): Promise<void> {
  const cpuStart = cpuUsage();
  const complete = await until(() => t.events + t.unexpected >= count || t.endedOther > 0, timeoutMs);
  send({ type: "events", eventAt: t.eventAt, unexpected: t.unexpected, timedOut: !complete, errorSamples: t.errorSamples, cpuMs: cpuMs(cpuStart) });
}

async function awaitEnd(t: Tally, count: number, timeoutMs: number): Promise<void> {
  const began = performance.now();
  const ended = await until(() => t.endedOk + t.endedOther >= count, timeoutMs);
  const endMs = performance.now() - began;
  for (const session of sessions) session.destroy();
  sessions = [];
  send({ type: "ended", ok: t.endedOk, other: t.endedOther, timedOut: !ended, endMs, errorSamples: t.errorSamples });
}

function handle(command: WatchClientCommand): Promise<void> | void {
  switch (command.type) {
    case "open":
      return open(command);
    case "ping":
      send({ type: "pong", at: wallClock() });
      return;
    case "collect":
      return collect(tally!, tally!.eventAt.length, command.timeoutMs);
    case "await-end":
      return awaitEnd(tally!, tally!.eventAt.length, command.timeoutMs);
    case "exit":
      for (const session of sessions) session.destroy();
      process.disconnect?.();
      process.exit(0);
  }
}

process.on("message", (command: WatchClientCommand) => {
  Promise.resolve()
    .then(() => handle(command))
    .catch((error: unknown) => {
      send({ type: "log", message: `watch client failed: ${error instanceof Error ? error.stack : String(error)}` });
      process.exit(1);
    });
});
// The server process going away (killed at its timeout) takes this one with it.
process.on("disconnect", () => process.exit(0));
