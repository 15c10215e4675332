import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { DescFile } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { file_grpc_health_v1_health } from "../../gen/grpc/health/v1/health_pb.js";
import { file_verify_v1_verify } from "../../gen/verify/v1/verify_pb.js";
import { file_verify_admin_v1_admin } from "../../gen/verify/admin/v1/admin_pb.js";
import { adminAuthInterceptor, registerAdminHandlers } from "../api/admin-handlers.js";
import { errorMappingInterceptor } from "../api/error-mapping.js";
import { registerHealth } from "../api/health.js";
import { registerReflection } from "../api/reflection.js";
import { registerVerificationHandlers } from "../api/verification-handlers.js";
import type { Config } from "../config/schema.js";
import { TimeoutCaller } from "../dispatch/provider-caller.js";
import { TimerLoop } from "../dispatch/timer-loop.js";
import { RateLimits } from "../limits/rate-limits.js";
import { MessageRenderer } from "../messages/templates.js";
import { callbackUrl, type DeliveryReport, type ProviderAdapter } from "../providers/adapter.js";
import { createProviders } from "../providers/registry.js";
import { SimulatorProvider } from "../providers/simulator/simulator.js";
import { BreakerBoard, DEFAULT_BREAKER } from "../routing/breakers.js";
import { Router } from "../routing/router.js";
import { RoutingTable } from "../routing/routing-table.js";
import { scoreFeed } from "../routing/score-feed.js";
import { ScoreSync } from "../routing/score-sync.js";
import { Scorer } from "../routing/scorer.js";
import { createStore } from "../store/create-store.js";
import type { VerificationStore } from "../store/store.js";
import { composeObservers, instrumentApp } from "../telemetry/app-telemetry.js";
import { type AppLogger, createLogger } from "../telemetry/logger.js";
import { startTelemetry, type Telemetry } from "../telemetry/telemetry.js";
import { type Clock, systemClock } from "../verification/clock.js";
import { CodeVault, cryptoRandom, type RandomSource } from "../verification/codes.js";
import { VerificationService } from "../verification/service.js";
import { type ListeningServer, listen } from "./http-server.js";
import { createPlainRoutes } from "./plain-routes.js";
import { createWebhookRoute } from "../webhooks/webhook-route.js";

export interface AppOptions {
  logger?: AppLogger;
  clock?: Clock;
  random?: RandomSource;
  /** Overrides server.port (0 picks a free port). */
  port?: number;
  host?: string;
  /** Extra Connect services on the same stack (the benchmark's echo baseline). */
  extraRoutes?: (router: ConnectRouter) => void;
  extraFiles?: readonly DescFile[];
  /** Called with how late each timer ran (benchmarks). */
  onTimerLateness?: (lateMs: number) => void;
  /** Uniform in [0, 1) for exploration routing; injected by tests. */
  routeRandom?: () => number;
  /** Where traces and metrics go (the caller shuts it down); default: started from OTEL_* and shut down with the app. */
  telemetry?: Telemetry;
}

export interface App {
  readonly port: number;
  readonly url: string;
  readonly service: VerificationService;
  readonly store: VerificationStore;
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly timers: TimerLoop;
  readonly scorer: Scorer;
  readonly breakers: BreakerBoard;
  readonly router: Router;
  /** Graceful stop: stop accepting, finish in-flight calls, end Watch streams, stop timers. */
  close(): Promise<void>;
}

const SERVED = ["verify.v1.VerificationService", "verify.admin.v1.AdminService", "grpc.health.v1.Health"];

/** Builds verifyd from a configuration and starts serving it. */
export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.log.level);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandom;
  const instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;

  let secret = config.security.code_hmac_key;
  if (!secret) {
    logger.warn(
      {},
      "security.code_hmac_key is not set: using a random key for this process; codes will not survive a restart or work across instances",
    );
    secret = randomBytes(32).toString("base64");
  }

  const { store, limiterFactory, scoreStats } = await createStore(config.store, { now: () => clock.now(), logger });
  let service: VerificationService | undefined;
  const receipts = {
    report(receipt: DeliveryReport) {
      service?.handleReceipt(receipt).catch((error: unknown) => logger.error({ err: error, provider: receipt.provider }, "receipt failed"));
    },
  };
  // Known for sure only once listening (port 0 picks one); until then nothing is sent.
  let publicUrl = config.server.public_url?.replace(/\/+$/, "") ?? "";
  const providers = createProviders(config.providers, { receipts, now: () => clock.now() });
  const providerConfigs = new Map(config.providers.map((provider) => [provider.name, provider]));
  const costOf = (provider: string, country: string) => {
    const found = providerConfigs.get(provider);
    return found ? (found.cost_by_country[country] ?? found.cost) : 0;
  };
  const breakers = new BreakerBoard(
    new TimeoutCaller((name) => providerConfigs.get(name)?.timeout ?? 10_000),
    (name) => {
      const breaker = providerConfigs.get(name)?.breaker;
      return breaker
        ? {
            errorThresholdPercentage: breaker.error_threshold_percentage,
            volumeThreshold: breaker.volume_threshold,
            resetTimeoutMs: breaker.reset_timeout,
            rollingWindowMs: breaker.rolling_window,
          }
        : DEFAULT_BREAKER;
    },
    () => clock.now(),
  );
  const scoring = config.scoring;
  const scorer = new Scorer(
    {
      windowMs: scoring.window,
      buckets: scoring.buckets,
      minSamples: scoring.min_samples,
      explorationShare: scoring.exploration,
      demoteBelow: scoring.demote_below,
      demoteRelative: scoring.demote_relative,
      qualityFloor: scoring.quality_floor,
      weights: scoring.weights,
      speedReferenceMs: scoring.speed_reference,
    },
    () => clock.now(),
  );
  // With a shared database every instance routes on the statistics of all of them; otherwise the scorer stays local.
  const scoreSync =
    scoring.enabled && scoreStats
      ? new ScoreSync(scorer, scoreStats({ bucketMs: scorer.bucketMs, windowMs: scoring.window }), {
          intervalMs: scoring.sync_interval,
          logger,
          now: () => clock.now(),
        })
      : undefined;
  breakers.onTransition((transition) => {
    if (transition.state === "open") scorer.recordBreakerOpen(transition.provider, transition.channel);
    logger.warn({ provider: transition.provider, channel: transition.channel, state: transition.state }, "circuit breaker changed state");
  });
  const router = new Router({
    table: new RoutingTable(config.routing, providers),
    scorer: scoring.enabled ? scorer : undefined,
    breakerState: (provider, channel) => breakers.state(provider, channel),
    defaultStrategy: config.routing.strategy,
    strategies: config.routing.strategies,
    costOf,
    random: options.routeRandom ?? Math.random,
  });
  let timers: TimerLoop | undefined;
  const telemetry = options.telemetry ?? startTelemetry();
  for (const warning of telemetry.settings.warnings) logger.warn({}, warning);
  const observability = instrumentApp(telemetry, {
    providers,
    breakerState: (provider, channel) => breakers.state(provider, channel),
    providerStats: scoring.enabled ? () => scorer.allStats() : undefined,
    costOf,
    timersInFlight: () => timers?.pending ?? 0,
  });
  if (observability.onBreakerTransition) breakers.onTransition(observability.onBreakerTransition);

  service = new VerificationService(
    {
      store,
      routing: router,
      caller: observability.traceCalls(breakers),
      observer: composeObservers(scoring.enabled ? scoreFeed(scorer, costOf) : undefined, observability.observer),
      vault: new CodeVault(secret, random),
      limits: new RateLimits(config.rate_limits, limiterFactory),
      messages: new MessageRenderer({
        templates: config.messages.templates,
        webOtpDomain: config.messages.web_otp_domain,
        androidAppHash: config.messages.android_app_hash,
      }),
      policy: {
        codeLength: config.policy.code_length,
        codeTtlMs: config.policy.code_ttl,
        deliveryWindowMs: config.policy.delivery_window,
        maxCheckAttempts: config.policy.max_check_attempts,
        resendMinIntervalMs: config.policy.resend_min_interval,
        autoEscalate: config.policy.auto_escalate,
        defaultLocale: config.policy.default_locale,
        brand: config.messages.brand,
      },
      clock,
      random,
      logger,
      instanceId,
      leaseMs: config.timers.lease,
      wakeTimers: observability.detached(() => timers?.wake()),
      callbackUrlFor: (provider, reference) => callbackUrl(publicUrl, provider, reference),
      currentTraceContext: observability.currentTraceContext,
    },
    providers.values(),
  );
  const verification = service;
  timers = new TimerLoop(store, observability.traceTimers((record) => verification.runDue(record)), {
    owner: instanceId,
    pollIntervalMs: config.timers.poll_interval,
    leaseMs: config.timers.lease,
    batchSize: config.timers.batch_size,
    clock,
    onLateness: observability.onTimerLateness(options.onTimerLateness),
    onError: (error, record) => logger.error({ err: error, verificationId: record?.id }, "timer work failed"),
  });

  const shutdown = new AbortController();
  let draining = false;
  const isServing = async () => !draining && (await store.ready());
  const simulators = [...providers.values()].filter((provider) => provider instanceof SimulatorProvider);
  const handler = connectNodeAdapter({
    routes: (connectRouter) => {
      registerVerificationHandlers(connectRouter, verification, shutdown.signal);
      registerHealth(connectRouter, { services: SERVED, isServing, shutdown: shutdown.signal });
      registerAdminHandlers(connectRouter, { providers, router, scorer, breakerState: (provider, channel) => breakers.state(provider, channel) });
      options.extraRoutes?.(connectRouter);
      registerReflection(connectRouter, [file_verify_v1_verify, file_verify_admin_v1_admin, file_grpc_health_v1_health, ...(options.extraFiles ?? [])], [
        ...SERVED,
        ...(options.extraFiles ?? []).flatMap((file) => file.services.map((s) => s.typeName)),
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
    },
    interceptors: [...observability.interceptors, errorMappingInterceptor(logger), adminAuthInterceptor(config.admin.token)],
    // Requests are small; a 1 MiB cap keeps a hostile body from costing memory.
    readMaxBytes: 1 << 20,
    fallback: createPlainRoutes({
      isServing,
      simulators,
      metrics: observability.prometheusText,
      webhooks: createWebhookRoute({
        providers,
        publicUrl: () => publicUrl,
        onReport: (report) => verification.handleReceipt(report),
        logger,
      }),
    }),
  });

  const server: ListeningServer = await listen(handler, options.port ?? config.server.port, options.host ?? config.server.host);
  const url = `http://${server.host === "0.0.0.0" || server.host === "::" ? "127.0.0.1" : server.host}:${server.port}`;
  publicUrl ||= url;
  timers.start();
  scoreSync?.start();
  logger.info({ url, providers: [...providers.keys()], store: config.store.type }, "verifyd listening");

  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    url,
    service: verification,
    store,
    providers,
    timers,
    scorer,
    breakers,
    router,
    close() {
      closing ??= (async () => {
        draining = true;
        shutdown.abort();
        await server.close(config.server.shutdown_grace);
        await timers.stop();
        breakers.close();
        for (const provider of providers.values()) await provider.close?.();
        // Before the store closes: what this instance recorded since the last round is sent on the way out.
        await scoreSync?.stop();
        await store.close();
        if (!options.telemetry) await telemetry.shutdown();
        logger.info({}, "verifyd stopped");
      })();
      return closing;
    },
  };
}
