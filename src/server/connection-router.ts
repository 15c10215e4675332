import type http from "node:http";
import type http2 from "node:http2";
import type net from "node:net";
import tls from "node:tls";
import type { Config } from "../config/schema.js";

/** The two servers a connection can be handed to, and the headers timeout that guards the hand-over. */
export interface ProtocolServers {
  h1: http.Server;
  h2: http2.Http2Server;
  headersTimeoutMs: number;
}

/** The preface every HTTP/2 connection with prior knowledge starts with. */
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Hands a cleartext connection to the HTTP/2 server when its first bytes are
 * the HTTP/2 preface, else to the HTTP/1.1 server. Undecided until the bytes
 * seen either differ from the preface or complete it; a connection still
 * undecided after the headers timeout (silent, or half a preface) is
 * destroyed, since neither server's own timeouts reach it yet.
 */
export function routeByPreface(socket: net.Socket, servers: ProtocolServers): void {
  let head = Buffer.alloc(0);
  const deadline = setTimeout(() => socket.destroy(), servers.headersTimeoutMs).unref();
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const compared = Math.min(head.length, H2_PREFACE.length);
    const isH2 = head.subarray(0, compared).equals(H2_PREFACE.subarray(0, compared));
    if (isH2 && compared < H2_PREFACE.length) return;
    clearTimeout(deadline);
    socket.off("data", onData);
    socket.pause();
    // Both servers take the bytes already read from the socket's buffer, then
    // read the rest from the native handle themselves: resuming here would
    // hand HTTP/2 frames to nobody.
    socket.unshift(head);
    if (isH2) {
      servers.h2.emit("connection", socket);
    } else {
      servers.h1.emit("connection", socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
  socket.once("close", () => clearTimeout(deadline));
  socket.on("error", () => socket.destroy());
}

/**
 * A TLS server that is handed accepted connections and passes each, once its
 * handshake is done, to the server of the protocol ALPN agreed on ("h2", else
 * HTTP/1.1, also for clients that offer no ALPN). The handshake must finish
 * within the headers timeout. With `client_ca`, a client without a
 * certificate signed by it is refused in the handshake (mTLS).
 */
export function createTlsRouter(settings: NonNullable<Config["server"]["tls"]>, servers: ProtocolServers): tls.Server {
  const mutual = settings.client_ca !== undefined;
  const secure = tls.createServer({
    cert: settings.cert,
    key: settings.key,
    ca: settings.client_ca,
    requestCert: mutual,
    rejectUnauthorized: mutual,
    ALPNProtocols: ["h2", "http/1.1"],
    handshakeTimeout: servers.headersTimeoutMs,
  });
  secure.on("secureConnection", (socket: tls.TLSSocket) => {
    if (socket.alpnProtocol === "h2") servers.h2.emit("connection", socket);
    else servers.h1.emit("connection", socket);
  });
  // A failed handshake: no or a wrong client certificate, the timeout, garbage. With a listener here Node leaves the socket open.
  secure.on("tlsClientError", (_error, socket) => socket.destroy());
  return secure;
}
