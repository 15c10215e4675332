import type { DispatchDeps } from "../dispatch/deps.js";
import type { RandomSource, SendGuard, SendLimits, VerificationStore } from "../verification/ports.js";

/** Everything the use cases need: sending's dependencies plus the store, limits and randomness. */
export interface ServiceDeps extends DispatchDeps {
  store: VerificationStore;
  limits: SendLimits;
  random: RandomSource;
  /**
   * The caller's trace, as a W3C traceparent, kept on the record so work done
   * later without a caller (a timer's resend, a receipt) can link back to the
   * Start that armed it. Telemetry sets it; the domain only stores the string.
   */
  currentTraceContext?: () => string | undefined;
  /** The fraud guard, asked before every Start and Resend sends; absent when `fraud.mode` is off. */
  guard?: SendGuard;
  /** Test numbers (E.164) and their fixed codes: never sent to, never limited, guarded or scored. */
  testNumbers?: ReadonlyMap<string, string>;
}
