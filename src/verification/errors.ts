/**
 * The domain's one error type. Its closed set of kinds is what the API layer
 * maps to gRPC codes (src/api/error-mapping.ts); anything else thrown is an
 * internal fault whose detail stays in the logs.
 */
export type VerifyErrorKind =
  | "invalid_argument"
  | "not_found"
  | "rate_limited"
  /** A bound of ours is reached (not the caller's allowance): the store is full. */
  | "resource_exhausted"
  /** The caller's deadline passed before the work could start. */
  | "deadline_exceeded"
  /** The caller went away before the work could start. */
  | "canceled"
  | "failed_precondition"
  | "unavailable"
  | "unauthenticated"
  | "permission_denied"
  | "internal";

export class VerifyError extends Error {
  override readonly name = "VerifyError";

  /** A refusal's machine-readable reason (permission_denied), e.g. "geo_blocked"; the API sends it as google.rpc.ErrorInfo. */
  readonly reason?: string;
  /** The facts behind `reason`, as strings (ErrorInfo metadata). */
  readonly metadata?: Readonly<Record<string, string>>;

  constructor(
    readonly kind: VerifyErrorKind,
    message: string,
    /** Extra facts a caller can act on, e.g. `{ retryAfterMs: 30000 }`. */
    readonly details: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown; reason?: string; metadata?: Record<string, string> },
  ) {
    super(message, options);
    if (options?.reason !== undefined) this.reason = options.reason;
    if (options?.metadata !== undefined) this.metadata = options.metadata;
  }

  static invalidArgument(message: string, details?: Record<string, string | number>): VerifyError {
    return new VerifyError("invalid_argument", message, details);
  }

  static notFound(message: string): VerifyError {
    return new VerifyError("not_found", message);
  }

  static failedPrecondition(message: string): VerifyError {
    return new VerifyError("failed_precondition", message);
  }

  static rateLimited(message: string, retryAfterMs: number): VerifyError {
    return new VerifyError("rate_limited", message, { retryAfterMs });
  }

  /** Refused by policy (the fraud guard): `reason` and `metadata` say which rule and why. */
  static permissionDenied(message: string, reason: string, metadata: Record<string, string> = {}): VerifyError {
    return new VerifyError("permission_denied", message, {}, { reason, metadata });
  }

  static unavailable(message: string, cause?: unknown): VerifyError {
    return new VerifyError("unavailable", message, {}, { cause });
  }
}
