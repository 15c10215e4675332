import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Config } from "../config/schema.js";
import { boundResponseBuffer } from "./backpressure.js";
import { createTlsRouter, type ProtocolServers, routeByPreface } from "./connection-router.js";
import type { StreamHandler } from "./grpc-path.js";
import { guardSession, http2ServerOptions } from "./http2-session-guard.js";

export type RequestHandler = (request: http.IncomingMessage | http2.Http2ServerRequest, response: http.ServerResponse | http2.Http2ServerResponse) => void;

/** The `server:` settings the port is held to (config/sections/server.ts). */
export type ServerLimits = Pick<Config["server"], "headers_timeout" | "idle_timeout" | "max_connections" | "max_buffered_bytes" | "http2" | "tls">;

export interface ListeningServer {
  readonly port: number;
  /** The address actually bound: 127.0.0.1, ::1, 0.0.0.0 (every IPv4 interface), :: (every interface), ... */
  readonly host: string;
  /** "https" when `server.tls` is set, else "http". */
  readonly scheme: "http" | "https";
  /**
   * Starts answering with `handlers`; connections that arrive before are
   * refused. HTTP/2 streams are offered to `stream` first (the lean gRPC
   * path); what it declines, and all of HTTP/1.1, goes to `request`.
   */
  serve(handlers: { request: RequestHandler; stream?: StreamHandler }): void;
  /**
   * Stops accepting, lets in-flight requests finish (HTTP/2 clients get
   * GOAWAY), and after `graceMs` closes whatever is left.
   */
  close(graceMs: number): Promise<void>;
}

/** Node's default; raised only when a longer headers timeout is configured, which Node requires to be the shorter. */
const REQUEST_TIMEOUT_MS = 300_000;

/**
 * One port for gRPC (HTTP/2 with prior knowledge), Connect and gRPC-Web over
 * HTTP/1.1 and HTTP/2, and plain HTTP routes; with `server.tls`, the same
 * over TLS, ALPN choosing the protocol. Node's cleartext HTTP/2 server does
 * not fall back to HTTP/1.1 by itself, so each cleartext connection is routed
 * by its first bytes.
 *
 * Hostile traffic is held to `limits` at every stage: at most
 * `max_connections` open (more are closed as they are accepted), each must
 * say what it is within `headers_timeout` (TLS handshake, HTTP/2 preface,
 * HTTP/1.1 request headers), idle ones close after `idle_timeout`, HTTP/2
 * sessions are held to `server.http2` (http2-session-guard.ts), and no
 * response holds more than `max_buffered_bytes`, or holds anything for
 * longer than `idle_timeout`, for a client that does not read
 * (backpressure.ts).
 */
export async function listen(port: number, host: string, limits: ServerLimits): Promise<ListeningServer> {
  // Bound before the app is built, so the app knows its own address (port 0 picks one); it serves once built.
  let serving: RequestHandler | undefined;
  let servingStreams: StreamHandler | undefined;
  const inFlight = new InFlight();
  const dispatch: RequestHandler = (request, response) => {
    // Node announces HTTP/2 streams after it has parsed a whole read, so a
    // stream reset in the same read (rapid reset) arrives already destroyed:
    // no one is waiting for its answer, so no handler is started for it.
    if ("stream" in request && request.stream.destroyed) return;
    inFlight.track(response);
    boundResponseBuffer(response, { maxBytes: limits.max_buffered_bytes, stallMs: limits.idle_timeout });
    serving!(request, response);
  };
  const servers = createProtocolServers(limits, dispatch);
  offerStreamsFirst(servers.h2, (stream, headers) => {
    if (!servingStreams) return false;
    // A stream reset in the same read as its headers (rapid reset): no one waits for its answer.
    if (stream.destroyed) return true;
    if (!servingStreams(stream, headers)) return false;
    inFlight.track(stream);
    boundResponseBuffer(stream, { maxBytes: limits.max_buffered_bytes, stallMs: limits.idle_timeout });
    return true;
  });
  const sessions = guardSessions(servers.h2, limits);
  const secure = limits.tls ? createTlsRouter(limits.tls, servers) : undefined;

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    if (!serving) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    if (secure) secure.emit("connection", socket);
    else routeByPreface(socket, servers);
  });
  // Node closes connections past this as soon as they are accepted.
  tcp.maxConnections = limits.max_connections;
  await bind(tcp, port, host);
  const address = tcp.address() as net.AddressInfo;

  return {
    port: address.port,
    // What the socket is bound to ("localhost" is resolved to 127.0.0.1 or ::1), for log lines and URLs.
    host: address.address,
    scheme: secure ? "https" : "http",
    serve(handlers) {
      servingStreams = handlers.stream;
      serving = handlers.request;
    },
    async close(graceMs: number) {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.close();
      servers.h1.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      await inFlight.drained(graceMs);
      // A stream counts as closed once its last frames (an answer's trailers) are queued, not sent, and
      // destroying the session at once can cut those off (clients read CANCELED). A closed session ends
      // itself, flushing first, after its last stream: it gets a moment for that before it is destroyed.
      await allClosed(sessions, Math.min(SESSION_FLUSH_MS, deadline - Date.now()));
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      // Stops the HTTP/1.1 server's timeout checks (it never listened itself, so there is nothing else to close).
      servers.h1.close();
      await closed;
    },
  };
}

function createProtocolServers(limits: ServerLimits, dispatch: RequestHandler): ProtocolServers {
  const headersTimeoutMs = limits.headers_timeout;
  const h1 = http.createServer(
    {
      keepAliveTimeout: limits.idle_timeout,
      headersTimeout: headersTimeoutMs,
      requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeoutMs),
      // How often Node looks for connections past those two timeouts (its default is 30 s).
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, headersTimeoutMs / 4)),
      maxHeaderSize: limits.http2.max_header_list_size,
    },
    dispatch,
  );
  // Node enforces headersTimeout and requestTimeout only on a server that has
  // emitted 'listening'; this one is handed its connections instead.
  h1.emit("listening");
  const h2 = http2.createServer(http2ServerOptions(limits.http2), dispatch);
  return { h1, h2, headersTimeoutMs };
}

/**
 * Node's HTTP/2 server turns each stream into a compatibility-layer request
 * in a 'stream' listener it adds with the 'request' listener. That listener
 * is taken out and called only for the streams `first` declines, so a stream
 * `first` answers never gets a request object (which would answer it a
 * second time).
 */
function offerStreamsFirst(h2: http2.Http2Server, first: StreamHandler): void {
  const compat = h2.listeners("stream") as ((...args: unknown[]) => void)[];
  h2.removeAllListeners("stream");
  h2.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...rest: unknown[]) => {
    if (first(stream, headers)) return;
    for (const listener of compat) listener.call(h2, stream, headers, ...rest);
  });
}

/** Holds every HTTP/2 session to its limits, and keeps the open ones for close(). */
function guardSessions(h2: http2.Http2Server, limits: ServerLimits): Set<http2.ServerHttp2Session> {
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    guardSession(session, limits.http2, { headersTimeoutMs: limits.headers_timeout, idleTimeoutMs: limits.idle_timeout });
  });
  return sessions;
}

/** Counts requests whose responses have not closed, so close() can wait for them. */
class InFlight {
  #count = 0;
  #drained: (() => void) | undefined;

  track(response: { once(event: "close", listener: () => void): unknown }): void {
    this.#count++;
    response.once("close", () => {
      this.#count--;
      if (this.#count === 0) this.#drained?.();
    });
  }

  /** Resolves when no request is in flight, or after `graceMs`. */
  async drained(graceMs: number): Promise<void> {
    if (this.#count === 0) return;
    await Promise.race([new Promise<void>((resolve) => (this.#drained = resolve)), new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref())]);
  }
}

/** How long sessions may take to end by themselves once no request is in flight. */
const SESSION_FLUSH_MS = 250;

/** Resolves when every session has closed, or after `ms`. */
async function allClosed(sessions: ReadonlySet<http2.ServerHttp2Session>, ms: number): Promise<void> {
  const closing = [...sessions].filter((session) => !session.destroyed).map((session) => new Promise((resolve) => session.once("close", resolve)));
  if (closing.length === 0 || ms <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(closing), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function bind(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
