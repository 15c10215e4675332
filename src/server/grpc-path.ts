import http2 from "node:http2";
import { type DescMessage, fromBinary, type Message, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext, type Interceptor, type MethodImplSpec } from "@connectrpc/connect";
import { createAsyncIterable, invokeUnaryImplementation, transformInvokeImplementation } from "@connectrpc/connect/protocol";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { Logger } from "../verification/ports.js";
import { MAX_TIMER_MS } from "./deadlines.js";

/** Answers a gRPC stream itself, or returns false to leave it to the general path. */
export type StreamHandler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;

export interface GrpcPathOptions {
  /** The methods served, by request path ("/verify.v1.VerificationService/Start"), with the largest request each reads. */
  specs: ReadonlyMap<string, { spec: MethodImplSpec; readMaxBytes: number }>;
  interceptors: readonly Interceptor[];
  contextValues(stream: http2.ServerHttp2Stream): ContextValues;
  logger?: Logger;
}

/** The content types of gRPC with the protobuf codec; JSON and gRPC-Web take the general path. */
const GRPC_PROTO = new Set(["application/grpc", "application/grpc+proto"]);
const HEADER = 5;

/**
 * The gRPC protocol (protobuf codec, no compression) served straight on
 * Node's HTTP/2 stream API, as grpc-js does, instead of through Node's
 * HTTP/1-shaped compatibility layer, web `Headers`/`Request` conversion and
 * connect's async-iterable pipeline: those cost a gRPC call several times
 * what a bare grpc-js server spends (bench/RESULTS.md, issue 13).
 *
 * The same method implementations and the same interceptors run (through
 * connect's own `invokeUnaryImplementation` / `transformInvokeImplementation`),
 * so errors, tracing, metrics and the admin token behave as on every other
 * path. A request this path does not take — compressed, JSON, gRPC-Web,
 * Connect, or anything unusual — returns false and is served by the general
 * path, which implements the rest of the protocol.
 *
 * Differences that are the protocol's to allow: answers are never compressed,
 * and a handler's signal is not aborted when its call ends normally (connect
 * aborts it without a reason, which costs a DOMException per call; nothing
 * listens for that).
 */
export function createGrpcPath(options: GrpcPathOptions): StreamHandler {
  return (stream, headers) => {
    const served = options.specs.get(headers[":path"] ?? "");
    if (!served || !takes(headers, served.spec)) return false;
    void serve(stream, headers, served, options).catch((error: unknown) => {
      options.logger?.error({ err: error, procedure: headers[":path"] }, "writing an RPC's answer failed");
      if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    });
    return true;
  };
}

function takes(headers: http2.IncomingHttpHeaders, spec: MethodImplSpec): boolean {
  if (headers[":method"] !== "POST") return false;
  const contentType = headers["content-type"];
  if (!contentType || !GRPC_PROTO.has(contentType.toLowerCase())) return false;
  const encoding = headers["grpc-encoding"];
  if (encoding !== undefined && encoding !== "identity") return false;
  return spec.kind === "unary" || spec.kind === "server_streaming";
}

async function serve(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  { spec, readMaxBytes }: { spec: MethodImplSpec; readMaxBytes: number },
  options: GrpcPathOptions,
): Promise<void> {
  const call = new Call(stream, headers, spec, options);
  try {
    const input = await call.readInput(readMaxBytes);
    if (spec.kind === "unary") {
      const output = await invokeUnaryImplementation(spec, call.context, input, options.interceptors as Interceptor[]);
      call.finish(output, undefined);
    } else {
      const outputs = transformInvokeImplementation(spec, call.context, options.interceptors as Interceptor[])(createAsyncIterable([input]));
      for await (const output of outputs) call.write(output);
      call.finish(undefined, undefined);
    }
  } catch (error) {
    // Errors from the implementation were mapped by the interceptors; anything else is ours and not for the client to read.
    call.finish(undefined, error instanceof ConnectError ? error : new ConnectError("internal error", Code.Internal, undefined, undefined, error));
  } finally {
    call.done();
  }
}

/** One call's state: its context, the body read so far, whether headers went out. */
class Call {
  readonly context: HandlerContext;
  readonly #stream: http2.ServerHttp2Stream;
  readonly #spec: MethodImplSpec;
  readonly #controller = new AbortController();
  readonly #timeoutError: ConnectError | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #headersSent = false;
  #ended = false;

  constructor(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, spec: MethodImplSpec, options: GrpcPathOptions) {
    this.#stream = stream;
    this.#spec = spec;
    const timeout = parseTimeout(headerText(headers["grpc-timeout"]) ?? null, Number.MAX_SAFE_INTEGER);
    this.#timeoutError = timeout.error;
    // Whole milliseconds, as connect's own contexts keep them (grpc-timeout may be in µs or ns).
    const deadlineAt = timeout.timeoutMs === undefined ? undefined : Math.trunc(Date.now() + timeout.timeoutMs);
    // grpc-timeout reaches years; Node's timers do not (past 2^31 - 1 ms they fire at once), and such a deadline is none.
    if (timeout.timeoutMs !== undefined && timeout.timeoutMs <= MAX_TIMER_MS) {
      this.#deadline = setTimeout(() => this.#abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeout.timeoutMs);
    }
    // A reset stream emits 'error' (unhandled, it would end the process) and then 'close', where it is handled.
    stream.on("error", ignore);
    // The client went away (RST_STREAM, a closed connection) before the answer was complete.
    stream.once("close", () => {
      if (!this.#ended) this.#abort(new ConnectError("the client went away", Code.Canceled));
    });
    this.context = {
      method: spec.method,
      service: spec.method.parent,
      requestMethod: "POST",
      protocolName: "grpc",
      url: `http://${headers[":authority"] ?? "localhost"}${headers[":path"]}`,
      signal: this.#controller.signal,
      timeoutMs: () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now()),
      requestHeader: requestHeaders(headers),
      responseHeader: new Headers(),
      responseTrailer: new Headers(),
      values: options.contextValues(stream),
    } as HandlerContext;
  }

  /** The one request message: the body is read whole (at most readMaxBytes) and must hold exactly one uncompressed envelope. */
  async readInput(readMaxBytes: number): Promise<Message> {
    if (this.#timeoutError) throw this.#timeoutError;
    const body = await readBody(this.#stream, readMaxBytes + HEADER);
    const input = this.#spec.method.input as DescMessage;
    // A unary or server-streaming call sends exactly one message; gRPC answers any other count UNIMPLEMENTED.
    if (body.byteLength === 0) throw new ConnectError(`${this.#spec.method.name} takes exactly one request message, and none was sent`, Code.Unimplemented);
    if (body.byteLength < HEADER) throw undecodable(input, "an incomplete envelope");
    const flags = body[0]!;
    const length = body.readUInt32BE(1);
    if (flags & 1) throw undecodable(input, "a message flagged compressed without a grpc-encoding");
    if (length > readMaxBytes) throw new ConnectError(`message size ${length} is larger than the limit of ${readMaxBytes} bytes`, Code.ResourceExhausted);
    if (body.byteLength < HEADER + length) throw undecodable(input, "an incomplete envelope");
    if (body.byteLength > HEADER + length)
      throw new ConnectError(`${this.#spec.method.name} takes exactly one request message, and more were sent`, Code.Unimplemented);
    try {
      return fromBinary(input, body.subarray(HEADER));
    } catch (error) {
      throw new ConnectError(`the request body is not a valid ${input.typeName}`, Code.InvalidArgument, undefined, undefined, error);
    }
  }

  write(message: Message): void {
    if (this.#stream.destroyed) return;
    this.#sendHeaders();
    this.#stream.write(envelope(this.#spec.method.output as DescMessage, message));
  }

  /** Ends the call: the answer (unary), then the trailers with the status. */
  finish(output: Message | undefined, error: ConnectError | undefined): void {
    this.#ended = true;
    if (this.#stream.destroyed || this.#stream.writableEnded) return;
    if (error) setTrailerStatus(this.context.responseTrailer, error);
    else this.context.responseTrailer.set("grpc-status", "0");
    const trailers = Object.fromEntries(this.context.responseTrailer);
    this.#stream.once("wantTrailers", () => {
      if (!this.#stream.destroyed) this.#stream.sendTrailers(trailers);
    });
    this.#sendHeaders();
    if (output) this.#stream.end(envelope(this.#spec.method.output as DescMessage, output));
    else this.#stream.end();
  }

  done(): void {
    clearTimeout(this.#deadline);
  }

  #sendHeaders(): void {
    if (this.#headersSent) return;
    this.#headersSent = true;
    const response: http2.OutgoingHttpHeaders = { ...Object.fromEntries(this.context.responseHeader), ":status": 200, "content-type": "application/grpc+proto" };
    this.#stream.respond(response, { waitForTrailers: true });
  }

  #abort(reason: ConnectError): void {
    clearTimeout(this.#deadline);
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }
}

function ignore(): void {}

function envelope(schema: DescMessage, message: Message): Buffer {
  const bytes = toBinary(schema, message);
  const framed = Buffer.allocUnsafe(HEADER + bytes.byteLength);
  framed[0] = 0;
  framed.writeUInt32BE(bytes.byteLength, 1);
  framed.set(bytes, HEADER);
  return framed;
}

function undecodable(input: DescMessage, what: string): ConnectError {
  return new ConnectError(`the request body is not a valid ${input.typeName} (${what})`, Code.InvalidArgument);
}

/** Reads the request body whole; a body past `limit` bytes is refused without reading the rest. */
function readBody(stream: http2.ServerHttp2Stream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // The listeners stay until the stream goes (removing four per call costs more than they do); after
    // the first outcome the others change nothing. Errors are made only when needed: a ConnectError
    // captures a stack trace, too dear to build on every call.
    let settled = false;
    const fail = (error: () => ConnectError) => {
      if (settled) return;
      settled = true;
      reject(error());
    };
    stream.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.byteLength;
      if (size <= limit) chunks.push(chunk);
      else {
        stream.pause();
        fail(() => new ConnectError(`the request is larger than the limit of ${limit - HEADER} bytes`, Code.ResourceExhausted));
      }
    });
    stream.once("end", () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    stream.once("close", () => fail(() => new ConnectError("the client went away", Code.Canceled)));
  });
}

/** The request's metadata as web Headers, pseudo-headers left out (as the general path does). */
function requestHeaders(headers: http2.IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const name in headers) {
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    const value = headers[name];
    if (typeof value === "string") result.append(name, value);
    else if (Array.isArray(value)) for (const item of value) result.append(name, item);
  }
  return result;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
