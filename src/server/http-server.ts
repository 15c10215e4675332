import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

export type RequestHandler = (request: http.IncomingMessage | http2.Http2ServerRequest, response: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface ListeningServer {
  readonly port: number;
  readonly host: string;
  /** Starts answering with `handler`; connections that arrive before are refused. */
  serve(handler: RequestHandler): void;
  /**
   * Stops accepting, lets in-flight requests finish (HTTP/2 clients get
   * GOAWAY), and after `graceMs` closes whatever is left.
   */
  close(graceMs: number): Promise<void>;
}

/** The preface every HTTP/2 connection with prior knowledge starts with. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * One port for gRPC (HTTP/2 with prior knowledge), Connect and gRPC-Web over
 * HTTP/1.1 and HTTP/2, and plain HTTP routes. Node's cleartext HTTP/2 server
 * does not fall back to HTTP/1.1 by itself, so each connection is routed by
 * its first bytes: the HTTP/2 preface, or anything else as HTTP/1.1.
 */
export async function listen(port: number, host: string): Promise<ListeningServer> {
  // Bound before the app is built, so the app knows its own address (port 0 picks one); it serves once built.
  let serving: RequestHandler | undefined;
  const handler: RequestHandler = (request, response) => serving!(request, response);
  const h1 = http.createServer({ keepAliveTimeout: 5_000 }, handler);
  const h2 = http2.createServer({}, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const track = (request: { once(event: "close", listener: () => void): unknown }, response: { once(event: "close", listener: () => void): unknown }) => {
    inFlight++;
    response.once("close", () => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
    void request;
  };
  h1.on("request", track);
  h2.on("request", track);
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const tcp = net.createServer((socket) => {
    if (!serving) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    routeByPreface(socket, h1, h2);
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(port, host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const address = tcp.address() as net.AddressInfo;

  return {
    port: address.port,
    host,
    serve(next) {
      serving = next;
    },
    async close(graceMs: number) {
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.close();
      h1.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((resolve) => (drained = resolve)), new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref())]);
      }
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/**
 * Hands a new connection to the HTTP/2 server when its first bytes are the
 * HTTP/2 preface, else to the HTTP/1.1 server. Undecided until the bytes seen
 * either differ from the preface or complete it.
 */
function routeByPreface(socket: net.Socket, h1: http.Server, h2: http2.Http2Server): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const compared = Math.min(head.length, H2_PREFACE.length);
    const isH2 = head.subarray(0, compared).equals(H2_PREFACE.subarray(0, compared));
    if (isH2 && compared < H2_PREFACE.length) return;
    socket.off("data", onData);
    socket.pause();
    // Both servers take the bytes already read from the socket's buffer, then
    // read the rest from the native handle themselves: resuming here would
    // hand HTTP/2 frames to nobody.
    socket.unshift(head);
    if (isH2) {
      h2.emit("connection", socket);
    } else {
      h1.emit("connection", socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
  socket.on("error", () => socket.destroy());
}
