import type http from "node:http";
import http2 from "node:http2";

/** A compatibility-layer response, or a raw HTTP/2 stream (the gRPC path writes on those). */
type Response = http.ServerResponse | http2.Http2ServerResponse | http2.ServerHttp2Stream;

export interface ResponseBounds {
  /** Unread bytes a response may hold; a write that finds more cuts the stream. */
  maxBytes: number;
  /** How long unread bytes may wait without the client taking any of them; then the stream is cut. */
  stallMs: number;
}

const { NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;

/**
 * Bounds what one response may hold for a client that does not read it, in
 * size and in time.
 *
 * connect-node waits for 'drain' whenever a write returns false, so a Watch
 * whose client stopped reading would pile its events up out of sight, in the
 * Watch's event queue, for as long as the verification lives. Here every
 * write is reported as flushed, so the handler keeps handing its messages
 * over and everything unread sits in the response, where it is counted
 * ("unread": not yet taken by the client's flow-control window, or by the
 * socket on HTTP/1.1). The stream is cut
 * - when a write finds more than `maxBytes` unread besides the largest
 *   single write so far: the check runs before each write, so one large
 *   message (a unary answer) is never cut by its own size, and a client that
 *   reads is not cut for the one message its flow-control window is still
 *   taking in (what is held stays under `maxBytes` plus one message);
 * - when unread bytes have waited `stallMs` without the client taking any,
 *   which also ends a stream whose last bytes (or trailers) a client never
 *   reads, below the size bound.
 *
 * Cutting is RST_STREAM ENHANCE_YOUR_CALM on HTTP/2 (gRPC clients report
 * RESOURCE_EXHAUSTED), and only that stream ends; HTTP/1.1 cannot end one
 * response early, so there the connection closes. Either way the request
 * ends, which aborts the handler's signal: the Watch unsubscribes.
 */
export function boundResponseBuffer(response: Response, bounds: ResponseBounds): void {
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const unread = unreadOf(response);
  let written = 0;
  let largest = 0;
  let stall: NodeJS.Timeout | undefined;
  let deliveredAtArming = 0;
  const delivered = () => written - unread();
  const watchForStall = () => {
    if (stall) return;
    deliveredAtArming = delivered();
    stall = setTimeout(() => {
      stall = undefined;
      if (response.destroyed || unread() === 0) return;
      if (delivered() === deliveredAtArming) cut(response);
      else watchForStall();
    }, bounds.stallMs).unref();
  };
  response.once("close", () => clearTimeout(stall));
  response.write = ((...args: unknown[]) => {
    if (response.destroyed || response.writableEnded) return write(...args);
    if (unread() - largest > bounds.maxBytes) {
      cut(response);
      return write(...args);
    }
    const size = byteLength(args[0]);
    largest = Math.max(largest, size);
    written += size;
    write(...args);
    watchForStall();
    return true;
  }) as Response["write"];
}

function byteLength(chunk: unknown): number {
  if (typeof chunk === "string") return Buffer.byteLength(chunk);
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

/**
 * What is written and not yet sent. On HTTP/2 that is the stream's
 * writableLength: a chunk stays in it until nghttp2 has sent it. (`bufferSize`
 * would count a chunk twice while nghttp2 holds it for want of window.)
 */
function unreadOf(response: Response): () => number {
  if (response instanceof http2.Http2ServerResponse) return () => response.stream.writableLength;
  return () => response.writableLength;
}

function cut(response: Response): void {
  if (response instanceof http2.Http2ServerResponse) response.stream.close(NGHTTP2_ENHANCE_YOUR_CALM);
  else if ("bufferSize" in response) response.close(NGHTTP2_ENHANCE_YOUR_CALM);
  else response.socket?.destroy();
}
