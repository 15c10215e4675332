/** The longest wait Node's timers keep: past it they fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * A deadline further off than Node's timers reach (about 24.8 days; grpc-timeout
 * goes to years, connect-timeout-ms to months) is no deadline: the header is
 * dropped. The library would arm a timer with it, which Node fires at once,
 * so the call would end DEADLINE_EXCEEDED before it began. (The gRPC path
 * ignores such a deadline the same way.)
 */
export function dropUnreachableDeadline(headers: Record<string, string | string[] | undefined>): void {
  const grpcTimeout = headers["grpc-timeout"];
  const grpc = typeof grpcTimeout === "string" ? /^(\d{1,8})([HMSmun])$/.exec(grpcTimeout) : null;
  if (grpc && Number(grpc[1]) * TIMEOUT_UNIT_MS[grpc[2]!]! > MAX_TIMER_MS) delete headers["grpc-timeout"];
  const connectTimeout = headers["connect-timeout-ms"];
  if (typeof connectTimeout === "string" && /^\d{1,10}$/.test(connectTimeout) && Number(connectTimeout) > MAX_TIMER_MS) delete headers["connect-timeout-ms"];
}
