import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { z } from "zod";
import { duration } from "../../schema/zod-types.js";
import { trustedProxiesSchema } from "./trusted-proxies.js";

/** A PEM file named by its path, read when the configuration is loaded; the value is the file's text. */
const pemFile = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `cannot read ${JSON.stringify(path)}: ${(error as Error).message}` });
      return z.NEVER;
    }
    if (!text.includes("-----BEGIN ")) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(path)} is not a PEM file (no "-----BEGIN" line)` });
      return z.NEVER;
    }
    return text;
  });

/**
 * `server.tls`: TLS on the one port (ALPN picks HTTP/2 or HTTP/1.1). With
 * `client_ca`, every client must present a certificate that CA signed (mTLS).
 */
const tlsSchema = z
  .strictObject({
    cert: pemFile,
    key: pemFile,
    client_ca: pemFile.optional(),
  })
  .superRefine((tls, ctx) => {
    // Caught here rather than at the first handshake: a key that does not match its certificate, or a CA that is not one.
    try {
      createSecureContext({ cert: tls.cert, key: tls.key, ca: tls.client_ca });
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `the certificate, key and client_ca do not make a TLS context: ${(error as Error).message}` });
    }
  });

/** A timeout: 0 would mean "at once" for some of Node's timers and "never" for others, so it is refused. */
const timeout = duration.refine((ms) => ms > 0, { message: "expected a duration longer than 0" });

/** `server.http2:` what one HTTP/2 connection may cost. */
const http2Schema = z
  .strictObject({
    /** SETTINGS_MAX_CONCURRENT_STREAMS: streams one connection may have open; more are refused (REFUSED_STREAM). */
    max_concurrent_streams: z.number().int().min(1).max(2_147_483_647).default(100),
    /**
     * Streams one connection may see reset (RST_STREAM, or closed before an answer)
     * per second, with a burst of as many: one more answers GOAWAY ENHANCE_YOUR_CALM
     * and closes the connection (the HTTP/2 rapid-reset attack).
     */
    max_resets_per_second: z.number().int().min(1).default(100),
    /** nghttp2's memory for one connection (MiB): header tables, queued frames. Past it new streams are refused. */
    max_session_memory_mb: z.number().int().min(1).default(10),
    /** Largest header list a request may carry (bytes, counted as HTTP/2 does); also HTTP/1.1's header limit. */
    max_header_list_size: z.number().int().min(1024).max(1_048_576).default(16_384),
  })
  .prefault({});

/** `server:`: the one port, how it is reached, how it holds up against hostile traffic, and how it drains. */
export const serverSchema = z
  .strictObject({
    port: z.number().int().min(0).max(65535).default(8080),
    /** Where to listen: the loopback unless told otherwise (a container or a pod network sets 0.0.0.0, or `verifyd serve --host`). */
    host: z.string().min(1).default("127.0.0.1"),
    /** Base URL providers reach verifyd at, for delivery receipts. */
    public_url: z.string().url().optional(),
    /** Peers whose X-Forwarded-For names the client when a request has no client_ip (CIDRs). */
    trusted_proxies: trustedProxiesSchema,
    /** How long SIGTERM waits for in-flight calls before closing sockets. */
    shutdown_grace: duration.default(10_000),
    /**
     * How long a connection may take to say what it is (TLS handshake, the
     * HTTP/2 preface, a request's headers); past it the connection is closed.
     */
    headers_timeout: timeout.default(10_000),
    /**
     * HTTP/1.1 keep-alive connections between requests, and HTTP/2 connections
     * with no open stream, close after this; so does a response whose client
     * has taken none of what waits for it for this long.
     */
    idle_timeout: timeout.default(60_000),
    /** Open connections at most; beyond it new ones are closed as they are accepted. */
    max_connections: z.number().int().min(1).default(10_000),
    /** What one response may hold for a client that does not read it; past it the stream is reset. */
    max_buffered_bytes: z.number().int().min(1024).default(65_536),
    http2: http2Schema,
    tls: tlsSchema.optional(),
  })
  .prefault({});
