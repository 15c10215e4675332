import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  type Attributes,
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { ATTR } from "./attributes.js";
import { maskPhonesIn } from "./logger.js";
import type { VerifydMetrics } from "./metrics.js";

export interface RpcTelemetryOptions {
  /** Server spans when set. */
  tracer?: Tracer;
  /** RPC durations, Watch streams and rate-limit rejections when set. */
  metrics?: VerifydMetrics;
  /** Reads the caller's trace context; W3C trace context (traceparent, tracestate) by default. */
  propagator?: TextMapPropagator;
}

/** Probes and tooling would drown the traces that matter; they are still counted. */
const UNTRACED_SERVICES = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

/** Server-side codes that mean the server failed (the gRPC semantic conventions); the rest are the caller's. */
const SERVER_FAULTS = new Set([Code.Unknown, Code.DeadlineExceeded, Code.Unimplemented, Code.Internal, Code.Unavailable, Code.DataLoss]);

const WATCH = { service: "verify.v1.VerificationService", method: "Watch" };

const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/**
 * One interceptor for every RPC on the port: a SERVER span following the RPC
 * semantic conventions (Node's HTTP/2 server is not auto-instrumented, and
 * Connect, gRPC and gRPC-Web share this one path), continuing the caller's
 * W3C trace context from the request headers, which carry `traceparent` in
 * all three protocols; and the RPC metrics. Put it first, so it sees the
 * status the error mapping settled on.
 *
 * @example
 * connectNodeAdapter({ routes, interceptors: [rpcTelemetryInterceptor({ tracer, metrics }), errorMappingInterceptor(logger)] });
 */
export function rpcTelemetryInterceptor(options: RpcTelemetryOptions): Interceptor {
  const { tracer, metrics } = options;
  const propagator = options.propagator ?? new W3CTraceContextPropagator();
  return (next) => async (request) => {
    const call = new RpcCall(request.service.typeName, request.method.name, request.stream, metrics);
    let spanContext: Context | undefined;
    if (tracer && !UNTRACED_SERVICES.has(call.service)) {
      const protocol = protocolOf(request.header.get("content-type"));
      call.grpc = protocol !== "connect";
      const parent = propagator.extract(ROOT_CONTEXT, request.header, headerGetter);
      // Literal keys (the names in ATTR): V8 builds such an object from a fixed shape, which matters per request.
      const attributes: Attributes = {
        "rpc.system": call.grpc ? "grpc" : "connect_rpc",
        "rpc.service": call.service,
        "rpc.method": call.method,
        "verifyd.rpc.protocol": protocol,
      };
      const verificationId = request.stream ? undefined : (request.message as { verificationId?: unknown }).verificationId;
      if (typeof verificationId === "string" && verificationId) attributes["verifyd.verification.id"] = verificationId;
      call.span = tracer.startSpan(`${call.service}/${call.method}`, { kind: SpanKind.SERVER, attributes }, parent);
      // The extracted context keeps whatever else the propagator read (baggage, under the SDK's default).
      spanContext = trace.setSpan(parent, call.span);
    }

    let response;
    try {
      response = await (spanContext ? context.with(spanContext, next, undefined, request) : next(request));
    } catch (error) {
      call.finish(error);
      throw error;
    }
    if (!response.stream) {
      if (call.span) describeResponse(call.span, response.message);
      call.finish(undefined);
      return response;
    }
    if (call.isWatch && metrics) {
      metrics.watchOpened();
      call.watching = true;
    }
    return { ...response, message: followStream(response.message, call) };
  };
}

/** One RPC in flight: what is needed to report it once it ends (a class, not closures: this runs per request). */
class RpcCall {
  readonly startedAt = performance.now();
  readonly isWatch: boolean;
  span: Span | undefined;
  grpc = false;
  /** A Watch stream counted as open. */
  watching = false;

  constructor(
    readonly service: string,
    readonly method: string,
    readonly stream: boolean,
    readonly metrics: VerifydMetrics | undefined,
  ) {
    this.isWatch = service === WATCH.service && method === WATCH.method;
  }

  finish(error: unknown): void {
    const code = error === undefined ? undefined : ConnectError.from(error).code;
    if (this.metrics) {
      if (code === Code.ResourceExhausted) this.metrics.rateLimited(this.service, this.method);
      if (this.watching) this.metrics.watchClosed();
      if (!this.stream && !this.isWatch) this.metrics.rpcCompleted(this.service, this.method, codeLabel(code), (performance.now() - this.startedAt) / 1000);
    }
    if (this.span) endSpan(this.span, this.grpc, code, error);
  }
}

/**
 * Passes a response stream through and reports how it ended. The handler's
 * body does not run in the RPC's context on purpose: a stream lives for
 * minutes, and timers it starts (a store's polling for events) would carry
 * the span into every later poll, long after the stream ended.
 */
async function* followStream<T>(messages: AsyncIterable<T>, call: RpcCall): AsyncIterable<T> {
  const iterator = messages[Symbol.asyncIterator]();
  let error: unknown;
  try {
    for (;;) {
      const result = await iterator.next();
      if (result.done) return;
      yield result.value;
    }
  } catch (caught) {
    error = caught;
    throw caught;
  } finally {
    // Stopped early (the client went away): let the handler's own finally blocks run.
    if (error === undefined) await iterator.return?.();
    call.finish(error);
  }
}

function endSpan(span: Span, grpc: boolean, code: Code | undefined, error: unknown): void {
  // gRPC status codes are Connect's codes by number; Connect names its errors instead, and only errors.
  if (grpc) span.setAttribute(ATTR.rpcGrpcStatusCode, code ?? 0);
  else if (code !== undefined) span.setAttribute(ATTR.rpcConnectErrorCode, codeLabel(code));
  span.setAttribute(ATTR.rpcResponseStatusCode, code === undefined ? "OK" : codeLabel(code).toUpperCase());
  if (code !== undefined) {
    if (SERVER_FAULTS.has(code)) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: maskPhonesIn(ConnectError.from(error).rawMessage) });
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof Error) span.recordException({ name: cause.name, message: maskPhonesIn(cause.message) });
    }
  }
  span.end();
}

/** What a response tells a trace reader: the verification it concerns, and a Check's verdict. */
function describeResponse(span: Span, message: unknown): void {
  const { verification, approved } = message as { verification?: { id?: unknown }; approved?: unknown };
  if (typeof verification?.id === "string" && verification.id) span.setAttribute(ATTR.verificationId, verification.id);
  if (typeof approved === "boolean") span.setAttribute(ATTR.checkApproved, approved);
}

export type RpcProtocol = "connect" | "grpc" | "grpc-web";

/** The protocol a request came in on, from its content type; a Connect GET has none. */
export function protocolOf(contentType: string | null): RpcProtocol {
  if (contentType?.startsWith("application/grpc-web")) return "grpc-web";
  if (contentType?.startsWith("application/grpc")) return "grpc";
  return "connect";
}

/** "ResourceExhausted" → "resource_exhausted"; no code → "ok". */
function codeLabel(code: Code | undefined): string {
  if (code === undefined) return "ok";
  return Code[code].replace(/(?<=[a-z])(?=[A-Z])/g, "_").toLowerCase();
}
