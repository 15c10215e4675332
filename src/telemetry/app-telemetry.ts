import type { Interceptor } from "@connectrpc/connect";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { BreakerTransition } from "../gateway/breakers.js";
import type { VerificationRecord } from "../verification/model.js";
import type { EventObserver } from "../verification/ports.js";
import { type MetricSources, VerifydMetrics } from "./metrics.js";
import { receiptSpans } from "./receipt-spans.js";
import { rpcTelemetryInterceptor } from "./rpc-interceptor.js";
import type { Telemetry } from "./telemetry.js";
import { traceTimerWork } from "./timer-spans.js";
import { currentTraceparent } from "./trace-context.js";
import { type CallDecorator, tracingDecorator } from "./tracing-caller.js";

export type { MetricSources } from "./metrics.js";
export type { CallDecorator } from "./tracing-caller.js";

type Observer = EventObserver;
type TimerHandler = (record: VerificationRecord) => Promise<void>;

/**
 * The points where app.ts plugs telemetry in. Each is absent (or the
 * identity) when its signal is off, so an unconfigured verifyd runs exactly
 * the code it would run without this module.
 */
export interface AppTelemetry {
  /** Goes first in the Connect interceptor list. */
  readonly interceptors: Interceptor[];
  /**
   * For GatewayOptions.decorate: wraps the gateway's breaker-guarded caller
   * with attempt spans; the identity when tracing is off.
   */
  readonly traceCalls: CallDecorator;
  /** For the record writer's observer (ServiceDeps), next to the scorer's feed. */
  readonly observer: Observer | undefined;
  /** For ServiceDeps.currentTraceContext. */
  readonly currentTraceContext: (() => string | undefined) | undefined;
  /** Wraps the timer loop's handler: resends get spans linked to their Start. */
  traceTimers(handler: TimerHandler): TimerHandler;
  /** The timer loop's lateness callback: the lateness histogram, plus `also` (benchmarks). */
  onTimerLateness(also?: (lateMs: number) => void): ((lateMs: number) => void) | undefined;
  /** For the fraud guard: verifyd_fraud_decisions_total. */
  readonly onFraudDecision: ((guard: string, decision: string, country: string) => void) | undefined;
  /** For Gateway.onBreakerTransition: the transitions counter. */
  readonly onBreakerTransition: ((transition: BreakerTransition) => void) | undefined;
  /** Prometheus text for GET /metrics; undefined when metrics are off. */
  readonly prometheusText: (() => Promise<string | undefined>) | undefined;
  /**
   * Runs `fn` outside whatever trace is active. For calls that start
   * long-lived background work (waking the timer loop from inside a request):
   * timers scheduled there would otherwise carry that request's trace into
   * every later poll, its database spans and its log lines.
   */
  detached<T>(fn: () => T): () => T;
}

/** Builds the plug-in points for one app from its telemetry and what the metrics read. */
export function instrumentApp(telemetry: Telemetry, sources: MetricSources): AppTelemetry {
  const { tracer, meter } = telemetry;
  const metrics = meter ? new VerifydMetrics(meter, sources) : undefined;
  const receipts = tracer ? receiptSpans(tracer) : undefined;
  return {
    interceptors: tracer || metrics ? [rpcTelemetryInterceptor({ tracer, metrics, propagator: telemetry.propagator })] : [],
    traceCalls: tracer ? tracingDecorator(tracer) : (inner) => inner,
    observer: composeObservers(metrics && ((events) => metrics.observe(events)), receipts),
    currentTraceContext: tracer ? currentTraceparent : undefined,
    traceTimers: (handler) => (tracer ? traceTimerWork(handler) : handler),
    onTimerLateness: (also) =>
      metrics
        ? (lateMs) => {
            metrics.timerLateness(lateMs);
            also?.(lateMs);
          }
        : also,
    onBreakerTransition: metrics && ((transition) => metrics.breakerTransition(transition)),
    onFraudDecision: metrics && ((guard, decision, country) => metrics.fraudDecision(guard, decision, country)),
    prometheusText: meter ? () => telemetry.prometheusText() : undefined,
    detached: (fn) => (tracer ? () => context.with(ROOT_CONTEXT, fn) : fn),
  };
}

/**
 * One observer from several (the scorer's feed, metrics, receipt spans).
 * Observers run inside the domain's write path: one that throws must not
 * fail a verification, nor keep the others from seeing the events.
 */
export function composeObservers(...observers: Array<Observer | undefined>): Observer | undefined {
  const present = observers.filter((observer): observer is Observer => observer !== undefined);
  if (present.length <= 1) return present[0];
  return (events) => {
    for (const observer of present) {
      try {
        observer(events);
      } catch {
        // A statistics or telemetry fault is not the verification's business.
      }
    }
  };
}
