import type { Counter, Histogram, Meter, UpDownCounter } from "@opentelemetry/api";
import type { BreakerState, BreakerTransition } from "../gateway/breakers.js";
import type { ProviderAdapter } from "../providers/adapter.js";
import type { ProviderStats } from "../routing/scorer.js";
import type { Attempt, Channel, VerificationEvent, VerificationRecord } from "../verification/model.js";
import { countryLabel, errorKindOf, type FailoverReason, skippedForOpenBreaker } from "./attributes.js";

/**
 * Every metric verifyd exports, by its Prometheus name (what dashboards and
 * alert rules query; counters gain `_total` on the way out). Labels are
 * bounded: provider (configured), country (ISO codes), channel, and closed
 * sets of outcomes and reasons. Never a phone number or an id.
 */
export const METRIC = {
  sends: "verifyd_sends",
  receipts: "verifyd_receipts",
  timeToDelivery: "verifyd_time_to_delivery_seconds",
  timeToVerify: "verifyd_time_to_verify_seconds",
  failovers: "verifyd_failovers",
  spend: "verifyd_spend",
  verified: "verifyd_verifications_verified",
  finished: "verifyd_verifications_finished",
  breakerState: "verifyd_breaker_state",
  breakerTransitions: "verifyd_breaker_transitions",
  providerScore: "verifyd_provider_score",
  watchStreams: "verifyd_watch_streams",
  timersInFlight: "verifyd_timers_in_flight",
  timerLateness: "verifyd_timer_lateness_seconds",
  rateLimitRejections: "verifyd_rate_limit_rejections",
  rpcDuration: "verifyd_rpc_duration_seconds",
  fraudDecisions: "verifyd_fraud_decisions",
  storeEvictions: "verifyd_store_evictions",
} as const;

/** verifyd_breaker_state's values. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export interface MetricSources {
  providers: ReadonlyMap<string, ProviderAdapter>;
  breakerState(provider: string, channel: Channel): BreakerState;
  /** The scorer's window, when scoring is on. */
  providerStats?: () => readonly ProviderStats[];
  costOf(provider: string, country: string): number;
  /** Timer handlers running now. */
  timersInFlight(): number;
  /** Finished verifications the memory store dropped to stay within max_records; absent for stores that never drop. */
  storeEvictions?: () => number;
}

/**
 * The instruments, fed by the domain's event stream (observe), breaker
 * transitions, the RPC interceptor, and read at scrape time from the
 * breakers, the scorer and the timer loop.
 */
export class VerifydMetrics {
  readonly #sends: Counter;
  readonly #receipts: Counter;
  readonly #timeToDelivery: Histogram;
  readonly #timeToVerify: Histogram;
  readonly #failovers: Counter;
  readonly #spend: Counter;
  readonly #verified: Counter;
  readonly #finished: Counter;
  readonly #breakerTransitions: Counter;
  readonly #watchStreams: UpDownCounter;
  readonly #timerLateness: Histogram;
  readonly #rateLimitRejections: Counter;
  readonly #rpcDuration: Histogram;
  /**
   * verifyd_fraud_decisions_total, counted here and read at scrape time: a
   * Start makes up to five decisions, and five Counter.add calls (each
   * hashing its attributes) would cost more than the guards themselves.
   */
  readonly #fraudDecisions = new Map<string, { attributes: { guard: string; decision: string; country: string }; count: number }>();
  readonly #costOf: (provider: string, country: string) => number;

  constructor(meter: Meter, sources: MetricSources) {
    this.#costOf = sources.costOf;
    this.#sends = meter.createCounter(METRIC.sends, { description: "Provider send attempts by outcome (accepted, rejected) and error kind." });
    this.#receipts = meter.createCounter(METRIC.receipts, { description: "Final delivery receipts by status (delivered, undelivered)." });
    this.#timeToDelivery = meter.createHistogram(METRIC.timeToDelivery, {
      description: "From the provider accepting a message to its DELIVERED receipt.",
      unit: "s",
      advice: { explicitBucketBoundaries: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256] },
    });
    this.#timeToVerify = meter.createHistogram(METRIC.timeToVerify, {
      description: "From Start to the right code, credited to the provider whose message was most likely read.",
      unit: "s",
      advice: { explicitBucketBoundaries: [2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600] },
    });
    this.#failovers = meter.createCounter(METRIC.failovers, {
      description: "Moves away from a provider, by reason (rejected, no_receipt, undelivered, breaker_open, escalated); provider is the one left.",
    });
    this.#spend = meter.createCounter(METRIC.spend, { description: "Price of accepted messages, in the configured currency unit." });
    this.#verified = meter.createCounter(METRIC.verified, {
      description: "Successful verifications, credited like the scorer does; spend ÷ this is the cost per success.",
    });
    this.#finished = meter.createCounter(METRIC.finished, { description: "Verifications that ended, by status (verified, expired, locked, canceled, failed)." });
    this.#breakerTransitions = meter.createCounter(METRIC.breakerTransitions, { description: "Circuit breaker transitions, by the state entered." });
    this.#watchStreams = meter.createUpDownCounter(METRIC.watchStreams, { description: "Watch streams open now." });
    this.#timerLateness = meter.createHistogram(METRIC.timerLateness, {
      description: "How late due timer work (delivery windows, expiry) ran.",
      unit: "s",
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] },
    });
    this.#rateLimitRejections = meter.createCounter(METRIC.rateLimitRejections, {
      description: "Calls refused with RESOURCE_EXHAUSTED (per-phone, per-IP and check limits, resends too soon), by RPC method.",
    });
    this.#rpcDuration = meter.createHistogram(METRIC.rpcDuration, {
      description: "Unary RPC handling time, by service, method and status code.",
      unit: "s",
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    });
    meter
      .createObservableCounter(METRIC.fraudDecisions, {
        description: "Fraud guard decisions for Starts and Resends, by guard and decision (allow, block, would_block in monitor mode).",
      })
      .addCallback((result) => {
        for (const { attributes, count } of this.#fraudDecisions.values()) result.observe(count, attributes);
      });

    meter
      .createObservableGauge(METRIC.breakerState, { description: "Circuit breaker per provider and channel: 0 closed, 1 half-open, 2 open." })
      .addCallback((result) => {
        for (const provider of sources.providers.values()) {
          for (const channel of provider.channels) {
            result.observe(BREAKER_STATE_VALUE[sources.breakerState(provider.name, channel)], { provider: provider.name, channel });
          }
        }
      });
    const providerStats = sources.providerStats;
    if (providerStats) {
      meter
        .createObservableGauge(METRIC.providerScore, { description: "The scorer's score per provider, country and channel (0..1), once scored." })
        .addCallback((result) => {
          for (const stats of providerStats()) {
            if (stats.score !== undefined) result.observe(stats.score, { provider: stats.provider, country: countryLabel(stats.country), channel: stats.channel });
          }
        });
    }
    meter
      .createObservableGauge(METRIC.timersInFlight, { description: "Timer work (slow failover, expiry, takeover) running now." })
      .addCallback((result) => result.observe(sources.timersInFlight()));
    const evictions = sources.storeEvictions;
    if (evictions) {
      meter
        .createObservableCounter(METRIC.storeEvictions, { description: "Finished verifications dropped by the memory store to stay within store.max_records." })
        .addCallback((result) => result.observe(evictions()));
    }
  }

  /** The domain's event stream: sends, receipts, failovers, spend, outcomes. */
  observe(events: readonly VerificationEvent[]): void {
    for (const event of events) {
      const record = event.verification;
      const attempt = event.attemptNumber ? record.attempts[event.attemptNumber - 1] : undefined;
      switch (event.type) {
        case "submitted": {
          if (!attempt) break;
          const labels = series(attempt, record);
          this.#sends.add(1, { ...labels, outcome: "accepted", error_kind: "none" });
          this.#spend.add(this.#costOf(attempt.provider, record.country), labels);
          if (skipsCountedAtOutcome(attempt)) this.#breakerSkips(event, attempt.channel, record);
          break;
        }
        case "rejected":
          if (!attempt) break;
          this.#sends.add(1, { ...series(attempt, record), outcome: "rejected", error_kind: errorKindOf(attempt.error) });
          if (skipsCountedAtOutcome(attempt)) this.#breakerSkips(event, attempt.channel, record);
          break;
        case "delivered":
          if (!attempt) break;
          this.#receipts.add(1, { ...series(attempt, record), status: "delivered" });
          if (attempt.deliveredAt !== undefined && attempt.submittedAt !== undefined) {
            this.#timeToDelivery.record(Math.max(0, attempt.deliveredAt - attempt.submittedAt) / 1000, series(attempt, record));
          }
          break;
        case "undelivered":
          if (attempt) this.#receipts.add(1, { ...series(attempt, record), status: "undelivered" });
          break;
        case "failover": {
          // The new attempt is event.attemptNumber; the provider left behind is the one before it.
          const left = event.attemptNumber ? record.attempts[event.attemptNumber - 2] : undefined;
          if (left && event.cause) this.#failover(left.provider, left.channel, record, event.cause.kind);
          const next = attempt ?? record.attempts.at(-1);
          if (!next || !skipsCountedAtOutcome(next)) this.#breakerSkips(event, next?.channel ?? record.channel, record);
          break;
        }
        case "verified": {
          this.#finished.add(1, { country: countryLabel(record.country), channel: record.channel, status: "verified" });
          const credited = creditedAttempt(record);
          if (!credited) break;
          this.#verified.add(1, series(credited, record));
          if (record.verifiedAt !== undefined) this.#timeToVerify.record(Math.max(0, record.verifiedAt - record.createdAt) / 1000, series(credited, record));
          break;
        }
        case "expired":
        case "locked":
        case "canceled":
        case "failed":
          this.#finished.add(1, { country: countryLabel(record.country), channel: record.channel, status: event.type });
          break;
        default:
          break;
      }
    }
  }

  breakerTransition(transition: BreakerTransition): void {
    this.#breakerTransitions.add(1, { provider: transition.provider, channel: transition.channel, state: transition.state });
  }

  watchOpened(): void {
    this.#watchStreams.add(1);
  }

  watchClosed(): void {
    this.#watchStreams.add(-1);
  }

  timerLateness(lateMs: number): void {
    this.#timerLateness.record(Math.max(0, lateMs) / 1000);
  }

  rateLimited(service: string, method: string): void {
    this.#rateLimitRejections.add(1, { rpc_service: service, rpc_method: method });
  }

  fraudDecision(guard: string, decision: string, country: string): void {
    const key = `${guard}|${decision}|${country}`;
    const series = this.#fraudDecisions.get(key);
    if (series) series.count++;
    else this.#fraudDecisions.set(key, { attributes: { guard, decision, country: countryLabel(country) }, count: 1 });
  }

  rpcCompleted(service: string, method: string, code: string, seconds: number): void {
    this.#rpcDuration.record(seconds, { rpc_service: service, rpc_method: method, rpc_code: code });
  }

  #failover(provider: string, channel: Channel, record: VerificationRecord, reason: FailoverReason): void {
    this.#failovers.add(1, { provider, country: countryLabel(record.country), channel, reason });
  }

  /** Providers an event says were passed over for an open breaker: a failover away from each. */
  #breakerSkips(event: VerificationEvent, channel: Channel, record: VerificationRecord): void {
    for (const provider of skippedForOpenBreaker(event.skipped)) this.#failover(provider, channel, record, "breaker_open");
  }
}

/**
 * Where an attempt's passed-over providers are counted, so that each attempt's
 * skips count once although several of its events list them. An attempt the
 * dispatcher begins after a failover or a skip is announced by a failover
 * event, which counts them. Start's first attempt is written with the new
 * verification and has no failover event: its skips count at its send's
 * outcome (submitted or rejected) instead.
 */
function skipsCountedAtOutcome(attempt: Attempt): boolean {
  return attempt.reason?.kind === "start";
}

function series(attempt: Attempt, record: VerificationRecord): { provider: string; country: string; channel: Channel } {
  return { provider: attempt.provider, country: countryLabel(record.country), channel: attempt.channel };
}

/** As the scorer credits a success: the last delivered attempt, else the last accepted one. */
function creditedAttempt(record: VerificationRecord): Attempt | undefined {
  return (
    record.attempts.findLast((attempt) => attempt.status === "delivered") ??
    record.attempts.findLast((attempt) => attempt.status === "submitted" || attempt.status === "timed_out")
  );
}
