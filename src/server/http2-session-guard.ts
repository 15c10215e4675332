import http2 from "node:http2";
import type { Config } from "../config/schema.js";

export type Http2Limits = Config["server"]["http2"];

/** What a session is held to besides its HTTP/2 settings. */
export interface SessionTimeouts {
  /** From the session's start to the client's SETTINGS (the rest of its preface). */
  headersTimeoutMs: number;
  /** With no stream open for this long, the session is closed (GOAWAY NO_ERROR). */
  idleTimeoutMs: number;
}

const { NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR } = http2.constants;

/**
 * The options of the HTTP/2 server, from `server.http2`.
 *
 * nghttp2 has a reset limit of its own (Node 24's streamResetBurst/Rate; by
 * default 1,000 and 33/s, which the 1,000 resets per connection never
 * reached). It counts RST_STREAM frames as it parses them, before JavaScript
 * hears of any, and answers GOAWAY INTERNAL_ERROR. Ours (guardSession) sees
 * the streams only after Node has parsed a whole read (up to 64 KiB, several
 * hundred HEADERS+RST_STREAM pairs), so nghttp2's stays on as a backstop well
 * above it, for floods packed that densely into one read.
 */
export function http2ServerOptions(limits: Http2Limits): http2.ServerOptions {
  return {
    maxSessionMemory: limits.max_session_memory_mb,
    settings: {
      maxConcurrentStreams: limits.max_concurrent_streams,
      maxHeaderListSize: limits.max_header_list_size,
    },
    streamResetBurst: Math.max(1_000, 4 * limits.max_resets_per_second),
    streamResetRate: 4 * limits.max_resets_per_second,
  };
}

/**
 * Holds one server session to its limits:
 * - resets: every stream that ends reset (either side, any code) or before
 *   the server answered takes a token from a bucket of `max_resets_per_second`
 *   refilled at that rate; an empty bucket answers GOAWAY ENHANCE_YOUR_CALM
 *   and destroys the session, so a rapid-reset client costs one connection's
 *   worth of streams, not the server's event loop;
 * - the preface: a client that has not sent its SETTINGS within the headers
 *   timeout is dropped;
 * - idleness: a session with no open stream for the idle timeout is closed
 *   gracefully (a Watch that is quiet for minutes is an open stream, not idle).
 */
export function guardSession(session: http2.ServerHttp2Session, limits: Http2Limits, timeouts: SessionTimeouts): void {
  const resets = new TokenBucket(limits.max_resets_per_second);
  let open = 0;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    idle = setTimeout(() => session.close(), timeouts.idleTimeoutMs).unref();
  };
  const preface = setTimeout(() => session.destroy(), timeouts.headersTimeoutMs).unref();
  session.once("remoteSettings", () => clearTimeout(preface));

  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(idle);
    stream.once("close", () => {
      open--;
      if (session.destroyed) return;
      if (wasReset(stream) && !resets.take()) {
        // The code goes out in the final GOAWAY; the error reaches only the server's 'sessionError'.
        session.destroy(new Error(`more than ${limits.max_resets_per_second} stream resets per second`), NGHTTP2_ENHANCE_YOUR_CALM);
        return;
      }
      if (open === 0 && !session.closed) armIdle();
    });
  });
  session.once("close", () => {
    clearTimeout(idle);
    clearTimeout(preface);
  });
  armIdle();
}

/** Reset by either side, or closed before any answer went out (a RST_STREAM with NO_ERROR is a reset too). */
function wasReset(stream: http2.ServerHttp2Stream): boolean {
  return (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) || !stream.headersSent;
}

/** `capacity` tokens, refilled continuously at `capacity` per second. */
class TokenBucket {
  #tokens: number;
  #at = performance.now();

  constructor(readonly capacity: number) {
    this.#tokens = capacity;
  }

  /** Takes one token; false when none is left. */
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#at) / 1000) * this.capacity);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
