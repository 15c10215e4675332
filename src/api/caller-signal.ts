import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { VerifyError } from "../verification/errors.js";
import type { CallerSignal } from "../verification/ports.js";

/**
 * The caller's deadline and presence as the domain reads them: a signal that
 * aborts with a VerifyError the domain throws as it is (deadline_exceeded
 * when the RPC's deadline passed, canceled when the client went away).
 */
export function callerSignal(context: HandlerContext): CallerSignal {
  const controller = new AbortController();
  const abort = () => controller.abort(domainReason(context.signal.reason));
  if (context.signal.aborted) abort();
  else context.signal.addEventListener("abort", abort, { once: true });
  return controller.signal;
}

function domainReason(reason: unknown): VerifyError {
  if (deadlinePassed(reason)) return new VerifyError("deadline_exceeded", "the call's deadline passed before the code was sent");
  return new VerifyError("canceled", "the caller went away before the code was sent");
}

/** Connect aborts a handler's signal with DEADLINE_EXCEEDED when the RPC's timeout runs out. */
export function deadlinePassed(reason: unknown): boolean {
  return reason instanceof ConnectError && reason.code === Code.DeadlineExceeded;
}
