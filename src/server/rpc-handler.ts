import type { DescMessage } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createConnectRouter,
  createContextKey,
  createContextValues,
  createMethodImplSpec,
  createServiceImplSpec,
  type Interceptor,
  type MethodImplSpec,
} from "@connectrpc/connect";
import {
  type Compression,
  compressedFlag,
  createAsyncIterable,
  encodeEnvelope,
  readAllBytes,
  type UniversalHandler,
  type UniversalServerResponse,
} from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorFromJsonBytes, errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "../verification/ports.js";
import { dropUnreachableDeadline } from "./deadlines.js";
import { createGrpcPath, type StreamHandler } from "./grpc-path.js";
import type { RequestHandler } from "./http-server.js";

export interface RpcHandlerOptions {
  routes(router: ConnectRouter): void;
  interceptors?: Interceptor[];
  readMaxBytes?: number;
  /** Answers every path that is not an RPC; 404 when absent. */
  fallback?: RequestHandler;
  /** Where a failure to write an answer is reported (the client has already gone or the socket broke). */
  logger?: Logger;
  /** Called once per request with the peer's address; each call must return a new ContextValues. */
  contextValues?: (peerAddress: string | undefined) => ContextValues;
}

/**
 * What connect-node's `connectNodeAdapter` does (every protocol, gzip and
 * brotli), plus one thing it cannot: a request the library fails to decode is
 * answered INVALID_ARGUMENT with a message of ours, in every protocol, where
 * the library would answer INTERNAL with its parser's text. JSON is read as the
 * protobuf JSON spec says (unknown fields and enum names are refused) and
 * written with every field, defaults included.
 *
 * `grpcStream` is the lean path for plain gRPC (grpc-path.ts), given HTTP/2
 * streams before Node's compatibility layer makes requests of them; what it
 * declines reaches `request` like everything else.
 *
 * @example
 * const { request, grpcStream } = createRpcHandler({ routes: (router) => router.service(VerificationService, impl) });
 */
export function createRpcHandler(options: RpcHandlerOptions): RpcHandlers {
  const acceptCompression = [compressionGzip, compressionBrotli];
  const router = createConnectRouter({
    acceptCompression,
    readMaxBytes: options.readMaxBytes,
    // Unknown fields and enum names are refused. Answers carry every field, defaults included
    // (`"approved": false`, `"checkAttemptsRemaining": 0`, `"fallbackChannels": []`): a caller reading
    // plain JSON should not have to know that proto3 JSON leaves out what equals its default.
    jsonOptions: { ignoreUnknownFields: false, alwaysEmitImplicit: true },
    interceptors: [markDecoded, ...(options.interceptors ?? [])],
  });
  const specs = recordSpecs(router, options.routes, options.readMaxBytes);
  const paths = new Map<string, UniversalHandler>();
  for (const handler of router.handlers) {
    paths.set(handler.requestPath, answerUndecodable(handler, acceptCompression));
  }
  const fallback = options.fallback ?? notFound;
  const grpcStream = createGrpcPath({
    specs,
    interceptors: options.interceptors ?? [],
    contextValues: (stream) => options.contextValues?.(stream.session?.socket?.remoteAddress) ?? createContextValues(),
    logger: options.logger,
  });
  const request: RequestHandler = (request, response) => {
    const handler = paths.get(request.url?.split("?", 2)[0] ?? "");
    if (!handler) {
      // An RPC to a method not served: an empty 404, which every protocol's client reads as UNIMPLEMENTED
      // (the plain routes' JSON 404 would read as a malformed Connect error).
      if (isRpc(request.headers)) notFound(request, response);
      else fallback(request, response);
      return;
    }
    if (handler.method.methodKind !== "unary" && isPlainJson(request.headers["content-type"])) {
      streamNeedsEnvelope(handler, response);
      return;
    }
    dropUnreachableDeadline(request.headers);
    // Throws on a request with no authority (HTTP/1.0 without Host); inside a request listener that would end the process.
    let universalRequest: ReturnType<typeof universalRequestFromNodeRequest>;
    try {
      universalRequest = universalRequestFromNodeRequest(request, response, undefined, options.contextValues?.(request.socket?.remoteAddress));
    } catch {
      response.statusCode = 400;
      response.end();
      return;
    }
    handler(universalRequest)
      .then((universalResponse) => universalResponseToNodeResponse(universalResponse, response))
      .catch((reason: unknown) => {
        // The client left before the answer was written: nothing to report.
        const code = ConnectError.from(reason).code;
        if (code === Code.Aborted || code === Code.Canceled) return;
        options.logger?.error({ err: reason, procedure: handler.requestPath }, "writing an RPC's answer failed");
      });
  };
  return { request, grpcStream };
}

export interface RpcHandlers {
  /** Every protocol, through Node's compatibility layer. */
  request: RequestHandler;
  /** Plain gRPC on the HTTP/2 stream API; false when it leaves a stream to `request`. */
  grpcStream: StreamHandler;
}

/**
 * Registers the routes, keeping each method's implementation and read limit by
 * path for the gRPC path. A method registered with any option other than
 * `readMaxBytes` and `jsonOptions` is left to the general path, which knows them all.
 */
function recordSpecs(router: ConnectRouter, routes: (router: ConnectRouter) => void, readMaxBytes = 0xffffffff) {
  const specs = new Map<string, { spec: MethodImplSpec; readMaxBytes: number }>();
  const keep = (spec: MethodImplSpec, handlerOptions: Record<string, unknown> | undefined) => {
    const own = Object.keys(handlerOptions ?? {}).filter((key) => key !== "readMaxBytes" && key !== "jsonOptions");
    if (own.length > 0) return;
    const limit = (handlerOptions?.readMaxBytes as number | undefined) ?? readMaxBytes;
    specs.set(`/${spec.method.parent.typeName}/${spec.method.name}`, { spec, readMaxBytes: limit });
  };
  const recording: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service, implementation, handlerOptions) {
      router.service(service, implementation, handlerOptions);
      for (const spec of Object.values(createServiceImplSpec(service, implementation).methods)) keep(spec, handlerOptions);
      return this;
    },
    rpc(method, implementation, handlerOptions) {
      router.rpc(method, implementation, handlerOptions);
      keep(createMethodImplSpec(method, implementation), handlerOptions);
      return this;
    },
  };
  routes(recording);
  return specs;
}

/** gRPC and gRPC-Web by content type, Connect streaming by content type, Connect unary by its protocol-version header. */
function isRpc(headers: Parameters<RequestHandler>[0]["headers"]): boolean {
  const contentType = headers["content-type"];
  if (typeof contentType === "string" && /^application\/(grpc|connect\+)/i.test(contentType)) return true;
  return headers["connect-protocol-version"] !== undefined;
}

function isPlainJson(contentType: string | string[] | undefined): boolean {
  return typeof contentType === "string" && /^application\/json\s*(;|$)/i.test(contentType);
}

/**
 * A streaming RPC (Watch) posted as unary Connect JSON, as a first curl does:
 * the protocol's 415, with what to send instead rather than an empty body.
 */
function streamNeedsEnvelope(handler: UniversalHandler, response: Parameters<RequestHandler>[1]): void {
  const procedure = `${handler.service.typeName}/${handler.method.name}`;
  const message =
    `${procedure} is a streaming RPC: over Connect, send content-type application/connect+json with the request ` +
    "in an envelope (a flags byte 0, the JSON's length as 4 bytes big-endian, then the JSON; see the README's curl example), " +
    "or call it over gRPC or gRPC-Web";
  const body = JSON.stringify({ code: "invalid_argument", message });
  response.statusCode = 415;
  response.setHeader("content-type", "application/json");
  response.setHeader("accept-post", "application/connect+json, application/connect+proto, application/grpc, application/grpc-web");
  response.setHeader("content-length", Buffer.byteLength(body));
  response.end(body);
}

const notFound: RequestHandler = (_request, response) => {
  response.statusCode = 404;
  response.end();
};

/** Set once a request reaches the interceptors, which only a decoded request (or a stream's first read) does. */
const decodeState = createContextKey<{ reachedInterceptors: boolean } | undefined>(undefined, {
  description: "verifyd: did the request reach the interceptors",
});

/**
 * A unary request is decoded before any interceptor runs, so the only sign of
 * a decode failure there is that the interceptors were never reached. A
 * streaming request is decoded while it is read, inside the chain, so its
 * failures are translated where they are thrown and every interceptor sees ours.
 */
const markDecoded: Interceptor = (next) => (request) => {
  const state = request.contextValues.get(decodeState);
  if (state) state.reachedInterceptors = true;
  if (!request.stream) return next(request);
  return next({ ...request, message: translateUndecodable(request.message, request.method.input) });
};

async function* translateUndecodable<T>(messages: AsyncIterable<T>, input: DescMessage): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw (error instanceof ConnectError && undecodable(error, input)) || error;
  }
}

/** The library's errors for a body it could not read as the method's input: framing, decompression, binary and JSON parsing. */
const UNDECODABLE: readonly { code: Code; prefix: string }[] = [
  { code: Code.Internal, prefix: "parse binary: " },
  { code: Code.Internal, prefix: "received compressed envelope, but do not know how to decompress" },
  { code: Code.InvalidArgument, prefix: "cannot decode " },
  { code: Code.InvalidArgument, prefix: "decompression failed" },
  { code: Code.InvalidArgument, prefix: "protocol error: incomplete envelope" },
  { code: Code.InvalidArgument, prefix: "protocol error: promised " },
  { code: Code.InvalidArgument, prefix: "unexpected end flag" },
];

/** Our answer for a library decode error, naming the field where the library did; undefined for any other error. */
export function undecodable(error: ConnectError, input: DescMessage): ConnectError | undefined {
  const text = error.rawMessage;
  if (!UNDECODABLE.some(({ code, prefix }) => error.code === code && text.startsWith(prefix))) return undefined;
  const field = fieldIn(text, input);
  const message = `the request body is not a valid ${input.typeName}${field ? ` (${field})` : ""}`;
  return new ConnectError(message, Code.InvalidArgument, undefined, undefined, error);
}

function fieldIn(text: string, input: DescMessage): string | undefined {
  const field = /^cannot decode field [\w.]+\.(\w+) from JSON: /.exec(text)?.[1];
  if (field) return `field "${field}"`;
  // The key is the client's own text: echoed only when it looks like a field name.
  const key = /^cannot decode message [\w.]+ from JSON: key "(\w{1,64})" is unknown$/.exec(text)?.[1];
  if (key) return `unknown field "${key}"`;
  // An unknown enum name names only the enum; the input's one field of that enum is the one meant.
  const enumName = /^cannot decode enum ([\w.]+) from JSON: /.exec(text)?.[1];
  const fields = input.fields.filter((candidate) => candidate.enum?.typeName === enumName);
  return enumName && fields.length === 1 ? `field "${fields[0]!.name}"` : undefined;
}

/** Wraps a library handler so that its answer to an undecodable request is ours, whatever the protocol. */
function answerUndecodable(handler: UniversalHandler, codecs: readonly Compression[]): UniversalHandler {
  const input = handler.method.input;
  const guarded = async (request: Parameters<UniversalHandler>[0]) => {
    const state = { reachedInterceptors: false };
    const contextValues = request.contextValues ?? createContextValues();
    contextValues.set(decodeState, state);
    const response = await handler({ ...request, contextValues });
    // Past the interceptors the request was decoded (or is a stream, translated at the source).
    if (state.reachedInterceptors) return response;
    const contentType = response.header?.get("content-type") ?? "";
    const rewrite = { input, codecs };
    if (contentType.startsWith("application/grpc-web")) return rewriteGrpcWeb(response, rewrite);
    if (contentType.startsWith("application/grpc")) return rewriteGrpc(response, input);
    if (contentType.startsWith("application/json") && response.status !== 200) return rewriteConnectUnary(response, rewrite);
    return response;
  };
  const { service, method, requestPath, protocolNames, allowedMethods, supportedContentType } = handler;
  return Object.assign(guarded, { service, method, requestPath, protocolNames, allowedMethods, supportedContentType });
}

interface Rewrite {
  input: DescMessage;
  codecs: readonly Compression[];
}

/** An error body is already in memory and may echo a request of up to readMaxBytes: the cap is only the library's own. */
const ERROR_BODY_LIMIT = 0xffffffff;

/** gRPC: the status is in the trailers, which the library fills as the body ends. */
function rewriteGrpc(response: UniversalServerResponse, input: DescMessage): UniversalServerResponse {
  const { trailer, body } = response;
  if (!trailer) return response;
  async function* fixedAtEnd() {
    if (body) yield* body;
    const error = findTrailerError(trailer!);
    const ours = error && undecodable(error, input);
    if (ours) setTrailerStatus(trailer!, ours);
  }
  return { ...response, body: fixedAtEnd() };
}

/**
 * gRPC-Web: the status is a trailer frame in the body. Before the interceptors
 * nothing else was written, so the body is that one frame (compressed when large).
 */
function rewriteGrpcWeb(response: UniversalServerResponse, rewrite: Rewrite): UniversalServerResponse {
  const { body } = response;
  if (!body) return response;
  const codec = rewrite.codecs.find((candidate) => candidate.name === response.header?.get("grpc-encoding"));
  async function* rewritten() {
    const bytes = await readAllBytes(body!, ERROR_BODY_LIMIT);
    yield (await ourTrailerFrame(bytes, codec, rewrite)) ?? bytes;
  }
  return { ...response, body: rewritten() };
}

async function ourTrailerFrame(bytes: Uint8Array, codec: Compression | undefined, rewrite: Rewrite): Promise<Uint8Array | undefined> {
  if (bytes.byteLength < 5) return undefined;
  const flags = bytes[0]!;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  if ((flags & trailerFlag) === 0 || 5 + length !== bytes.byteLength) return undefined;
  let data = bytes.subarray(5);
  if (flags & compressedFlag) {
    if (!codec) return undefined;
    data = await codec.decompress(data, ERROR_BODY_LIMIT);
  }
  const trailer = trailerParse(data);
  const error = findTrailerError(trailer);
  const ours = error && undecodable(error, rewrite.input);
  if (!ours) return undefined;
  return encodeEnvelope(trailerFlag, trailerSerialize(setTrailerStatus(trailer, ours)));
}

/** Connect unary: the status is the HTTP status, the error a JSON body (compressed when large). */
async function rewriteConnectUnary(response: UniversalServerResponse, rewrite: Rewrite): Promise<UniversalServerResponse> {
  if (!response.body || !response.header) return response;
  const header = response.header;
  const original = await readAllBytes(response.body, ERROR_BODY_LIMIT);
  let bytes = original;
  const encoding = header.get("content-encoding");
  if (encoding) {
    const codec = rewrite.codecs.find((candidate) => candidate.name === encoding);
    if (!codec) return { ...response, body: createAsyncIterable([original]) };
    bytes = await codec.decompress(original, ERROR_BODY_LIMIT);
  }
  const error = errorFromJsonBytes(bytes, undefined, new ConnectError("unreadable error body", Code.Unknown));
  const ours = undecodable(error, rewrite.input);
  if (!ours) return { ...response, body: createAsyncIterable([original]) };
  const json = errorToJsonBytes(ours, undefined);
  header.delete("content-encoding");
  header.set("content-length", String(json.byteLength));
  return { ...response, status: codeToHttpStatus(ours.code), header, body: createAsyncIterable([json]) };
}
