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
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: mapStreamErrors(response.message, logger, procedure) };
    } catch (error) {
      throw toConnectError(error, logger, procedure);
    }
  };
}

async function* mapStreamErrors<T>(messages: AsyncIterable<T>, logger: Logger, procedure: string): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw toConnectError(error, logger, procedure);
  }
}
