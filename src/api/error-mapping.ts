import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { VerifyError, type VerifyErrorKind } from "../verification/errors.js";
import type { Logger } from "../verification/ports.js";

/** The one mapping from domain failures to gRPC codes; the compiler checks it covers every kind. */
export function codeFor(kind: VerifyErrorKind): Code {
  switch (kind) {
    case "invalid_argument":
      return Code.InvalidArgument;
    case "not_found":
      return Code.NotFound;
    case "rate_limited":
    case "resource_exhausted":
      return Code.ResourceExhausted;
    case "deadline_exceeded":
      return Code.DeadlineExceeded;
    case "canceled":
      return Code.Canceled;
    case "failed_precondition":
      return Code.FailedPrecondition;
    case "unavailable":
      return Code.Unavailable;
    case "unauthenticated":
      return Code.Unauthenticated;
    case "permission_denied":
      return Code.PermissionDenied;
    case "internal":
      return Code.Internal;
  }
}

/**
 * Turns anything thrown into a ConnectError fit for the wire. Domain errors
 * keep their message; anything else is a fault of ours, logged with its cause
 * and sent only as "internal error".
 */
export function toConnectError(error: unknown, logger: Logger, procedure: string): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof VerifyError) {
    const metadata = new Headers();
    const retryAfterMs = error.details.retryAfterMs;
    if (typeof retryAfterMs === "number") metadata.set("retry-after-ms", String(Math.ceil(retryAfterMs)));
    if (error.kind === "internal" || error.kind === "unavailable") {
      logger.error({ err: error.cause ?? error, procedure }, error.message);
    }
    return new ConnectError(error.message, codeFor(error.kind), metadata, errorDetails(error), error);
  }
  logger.error({ err: error, procedure }, "unexpected error");
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

/** The domain for every google.rpc.ErrorInfo verifyd sends. */
export const ERROR_DOMAIN = "verifyd";

/** A refusal with a reason (the fraud guard's) travels as google.rpc.ErrorInfo: reason, and its figures as metadata. */
function errorDetails(error: VerifyError) {
  if (error.reason === undefined) return undefined;
  return [{ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: error.reason, domain: ERROR_DOMAIN, metadata: { ...error.metadata } }) }];
}

/** Applies toConnectError to every RPC, unary and streaming alike. */
export function errorMappingInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    const procedure = request.url;
    const mapped = (error: unknown) => callerGone(error, request.signal, logger, procedure) ?? toConnectError(error, logger, procedure);
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: mapStreamErrors(response.message, mapped) };
    } catch (error) {
      throw mapped(error);
    }
  };
}

async function* mapStreamErrors<T>(messages: AsyncIterable<T>, mapped: (error: unknown) => ConnectError): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw mapped(error);
  }
}

/** Node's words for a request stream its client left: closed early, reset, destroyed. */
const GONE_CODES = new Set(["ERR_STREAM_PREMATURE_CLOSE", "ECONNRESET", "ERR_STREAM_DESTROYED", "ERR_HTTP2_STREAM_ERROR", "ERR_HTTP2_INVALID_STREAM"]);

/**
 * A failure that is only the caller leaving (a reflection client or a Watch
 * that disconnects mid-stream, a reset stream) is no fault of ours: CANCELED,
 * logged at debug, never as an error. Domain and RPC errors keep their meaning.
 */
function callerGone(error: unknown, signal: AbortSignal, logger: Logger, procedure: string): ConnectError | undefined {
  if (error instanceof ConnectError || error instanceof VerifyError) return undefined;
  if (!signal.aborted && !GONE_CODES.has((error as { code?: unknown } | undefined)?.code as string)) return undefined;
  logger.debug({ procedure, reason: (error as Error | undefined)?.message }, "the caller went away");
  return new ConnectError("the caller went away", Code.Canceled, undefined, undefined, error);
}
