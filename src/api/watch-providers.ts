import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { type Duration, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { type ProviderInfo, type WatchProvidersRequest, type WatchProvidersResponse, WatchProvidersResponseSchema } from "../../gen/verify/admin/v1/admin_pb.js";
import { REFRESH_INTERVAL_BOUNDS } from "../config/sections/console.js";
import { VerifyError } from "../verification/errors.js";
import { deadlinePassed } from "./caller-signal.js";

/**
 * Open WatchProviders streams one instance serves at most. Each costs a
 * ListProviders answer per interval whether its client reads or not, and a
 * console tab needs one: 64 is many operators, and far from what hurts.
 */
export const MAX_PROVIDER_WATCHERS = 64;

export interface WatchProvidersDeps {
  /** The providers as ListProviders answers now. */
  providers(): ProviderInfo[];
  /** When the request names no interval (console.refresh_interval), ms. */
  defaultIntervalMs: number;
  /** Aborts when the instance drains: open streams end with UNAVAILABLE. */
  shutdown: AbortSignal;
  /** MAX_PROVIDER_WATCHERS unless given. */
  maxStreams?: number;
}

/**
 * AdminService.WatchProviders: ListProviders' answer at once and again every
 * interval, until the caller leaves (the stream just ends), its deadline
 * passes (DEADLINE_EXCEEDED) or the instance drains (UNAVAILABLE, so a
 * console reconnects elsewhere).
 */
export function watchProvidersMethod(deps: WatchProvidersDeps) {
  const limit = deps.maxStreams ?? MAX_PROVIDER_WATCHERS;
  let open = 0;
  return async function* watchProviders(request: WatchProvidersRequest, context: HandlerContext): AsyncGenerator<WatchProvidersResponse> {
    const intervalMs = request.interval ? intervalMsOf(request.interval) : deps.defaultIntervalMs;
    if (open >= limit) throw new VerifyError("resource_exhausted", `at most ${limit} WatchProviders streams on one instance; close one, or poll ListProviders`);
    open++;
    const signal = AbortSignal.any([context.signal, deps.shutdown]);
    try {
      do {
        yield create(WatchProvidersResponseSchema, { providers: deps.providers(), at: timestampFromMs(Date.now()) });
      } while (await pause(intervalMs, signal));
    } finally {
      open--;
    }
    if (deps.shutdown.aborted) throw new ConnectError("verifyd is shutting down; open WatchProviders again on another instance", Code.Unavailable);
    if (deadlinePassed(context.signal.reason)) throw new ConnectError("WatchProviders reached its deadline", Code.DeadlineExceeded);
  };
}

/** The request's interval in ms, within console.refresh_interval's bounds; INVALID_ARGUMENT outside them. */
function intervalMsOf(interval: Duration): number {
  const ms = Number(interval.seconds) * 1000 + interval.nanos / 1_000_000;
  const { minMs, maxMs } = REFRESH_INTERVAL_BOUNDS;
  if (!(ms >= minMs && ms <= maxMs)) {
    throw VerifyError.invalidArgument(
      `interval must be between ${minMs / 1000}s and ${maxMs / 60_000}m, got ${Number.isFinite(ms) ? `${ms}ms` : "a malformed duration"}`,
    );
  }
  return Math.round(ms);
}

/** Waits `ms`; false when `signal` aborted first (or already had). */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
