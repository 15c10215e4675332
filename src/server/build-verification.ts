import { randomBytes } from "node:crypto";
import type { Config } from "../config/schema.js";
import { TimerLoop } from "../dispatch/timer-loop.js";
import type { FraudGuard } from "../fraud/fraud-guard.js";
import type { FraudState, FraudWindows } from "../fraud/state.js";
import { type LimiterFactory, RateLimits } from "../limits/rate-limits.js";
import { MessageRenderer } from "../messages/templates.js";
import { VerificationService } from "../service/verification-service.js";
import { OutageLog } from "../store/outage-log.js";
import { type AppTelemetry, composeObservers } from "../telemetry/app-telemetry.js";
import { CodeVault } from "../verification/codes.js";
import type { VerificationPolicy } from "../verification/policy.js";
import type { Clock, EventObserver, Logger, ProviderGateway, RandomSource, RouteSource, VerificationStore } from "../verification/ports.js";
import { RecordWriter } from "../verification/record-writer.js";
import { buildFraudGuard, testNumbersOf, withoutTestNumbers } from "./build-fraud.js";

export interface BuiltVerification {
  service: VerificationService;
  timers: TimerLoop;
  fraud: FraudGuard;
}

/** The `policy` and `messages` config as the domain reads them. */
export function policyOf(config: Config): VerificationPolicy {
  return {
    codeLength: config.policy.code_length,
    codeTtlMs: config.policy.code_ttl,
    deliveryWindowMs: config.policy.delivery_window,
    maxCheckAttempts: config.policy.max_check_attempts,
    resendMinIntervalMs: config.policy.resend_min_interval,
    autoEscalate: config.policy.auto_escalate,
    defaultLocale: config.policy.default_locale,
    brand: config.messages.brand,
  };
}

/**
 * The verification subsystem: the write loop over the store, the use cases,
 * and the timer loop that runs their due work. The timer loop is woken by
 * the writer's `wake_timers` effect, so a receipt that makes failover due
 * does not wait for the next poll.
 */
export function buildVerification(
  config: Config,
  deps: {
    store: VerificationStore;
    gateway: ProviderGateway;
    routes: RouteSource;
    observer: EventObserver | undefined;
    limiterFactory: LimiterFactory | undefined;
    clock: Clock;
    random: RandomSource;
    logger: Logger;
    instanceId: string;
    secret: string;
    observability: Pick<AppTelemetry, "detached" | "currentTraceContext" | "traceTimers" | "onTimerLateness" | "onFraudDecision">;
    onTimerLateness?: (lateMs: number) => void;
    /** The store's shared fraud state (CreatedStore.fraudState). */
    fraudState: (windows: FraudWindows) => FraudState;
  },
): BuiltVerification {
  const { clock, observability } = deps;
  const wake = observability.detached(() => timers.wake());
  const fraud = buildFraudGuard(config, { fraudState: deps.fraudState, clock, logger: deps.logger, onDecision: observability.onFraudDecision });
  const guarding = fraud.settings.mode !== "off";
  const testNumbers = testNumbersOf(config, deps.logger);
  const observer = withoutTestNumbers(composeObservers(deps.observer, guarding ? (events) => fraud.observe(events) : undefined), testNumbers);
  const writer = new RecordWriter({ store: deps.store, clock, observer, perform: () => wake() });
  const service = new VerificationService({
    writer,
    store: deps.store,
    gateway: deps.gateway,
    routes: deps.routes,
    vault: new CodeVault(deps.secret, deps.random),
    limits: new RateLimits(config.rate_limits, deps.limiterFactory),
    messages: new MessageRenderer({
      templates: config.messages.templates,
      webOtpDomain: config.messages.web_otp_domain,
      androidAppHash: config.messages.android_app_hash,
    }),
    policy: policyOf(config),
    clock,
    random: deps.random,
    logger: deps.logger,
    instanceId: deps.instanceId,
    leaseMs: config.timers.lease,
    currentTraceContext: observability.currentTraceContext,
    guard: guarding ? fraud : undefined,
    testNumbers,
  });
  const storeOutage = new OutageLog(deps.logger, { subject: "timer loop" });
  const timers = new TimerLoop(
    deps.store,
    observability.traceTimers((record) => service.runDue(record)),
    {
      owner: deps.instanceId,
      pollIntervalMs: config.timers.poll_interval,
      leaseMs: config.timers.lease,
      batchSize: config.timers.batch_size,
      clock,
      onLateness: observability.onTimerLateness(deps.onTimerLateness),
      // A store that is down fails every poll: that is one outage, logged once with a count, not an error a second.
      onError: (error, record) =>
        record
          ? deps.logger.error({ err: error, verificationId: record.id }, "timer work failed")
          : storeOutage.failed(error, "the timer loop cannot reach the store; retrying"),
      onClaimed: () => storeOutage.succeeded(),
    },
  );
  return { service, timers, fraud };
}

/** The code key: configured, or (one instance only) a random one for this process, with a warning. */
export function codeSecret(config: Config, logger: Logger): string {
  if (config.security.code_hmac_key) return config.security.code_hmac_key;
  logger.warn({}, "security.code_hmac_key is not set: using a random key for this process; codes will not survive a restart or work across instances");
  return randomBytes(32).toString("base64");
}
