import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { DescFile } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { Config } from "../config/schema.js";
import type { TimerLoop } from "../dispatch/timer-loop.js";
import type { FraudGuard } from "../fraud/fraud-guard.js";
import type { BreakerBoard } from "../gateway/breakers.js";
import type { ProviderAdapter } from "../providers/adapter.js";
import type { Router } from "../routing/router.js";
import type { Scorer } from "../routing/scorer.js";
import type { VerificationService } from "../service/verification-service.js";
import { type CreatedStore, createStore } from "../store/create-store.js";
import { composeObservers, instrumentApp } from "../telemetry/app-telemetry.js";
import { eventLogObserver } from "../telemetry/event-log.js";
import { type AppLogger, createLogger } from "../telemetry/logger.js";
import { startTelemetry, type Telemetry } from "../telemetry/telemetry.js";
import { type Clock, systemClock } from "../verification/clock.js";
import { cryptoRandom, type RandomSource } from "../verification/codes.js";
import type { VerificationStore } from "../verification/ports.js";
import { hostPort, isLoopback, selfUrl } from "./address.js";
import { buildProviders } from "./build-providers.js";
import { buildRouting } from "./build-routing.js";
import { buildVerification, codeSecret } from "./build-verification.js";
import { buildHandler } from "./handler.js";
import { listen } from "./http-server.js";
import { ReceiptRelay } from "./receipt-relay.js";

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
  /** The fraud guard (its decisions, blocks and shared state). */
  readonly fraud: FraudGuard;
  /** Graceful stop: stop accepting, finish in-flight calls, end Watch streams, stop timers. */
  close(): Promise<void>;
}

/**
 * Builds verifyd from a configuration and starts serving it: bind the port
 * (so the app knows its address), then build each subsystem in dependency
 * order (store, providers and gateway, routing, verification), then serve.
 */
export async function startApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.log.level);
  const clock = options.clock ?? systemClock;
  const server = await listen(options.port ?? config.server.port, options.host ?? config.server.host, config.server);
  const url = selfUrl(server.scheme, server.host, server.port);
  const publicUrl = config.server.public_url?.replace(/\/+$/, "") ?? url;
  const created = await createStore(config.store, { now: () => clock.now(), logger });
  const telemetry = options.telemetry ?? startTelemetry();
  for (const warning of telemetry.settings.warnings) logger.warn({}, warning);
  const parts = buildSubsystems(config, options, { logger, clock, created, telemetry, publicUrl });
  const { store } = created;

  const shutdown = new AbortController();
  const draining = { now: false };
  const handlers = buildHandler({
    ...parts,
    config,
    logger,
    service: parts.verification.service,
    router: parts.routing.router,
    scorer: parts.routing.scorer,
    fraud: parts.verification.fraud,
    adapters: parts.providers.adapters,
    gateway: parts.providers.gateway,
    publicUrl,
    shutdown: shutdown.signal,
    isServing: async () => !draining.now && (await store.ready()),
    extraRoutes: options.extraRoutes,
    extraFiles: options.extraFiles,
  });
  server.serve({ request: handlers.request, stream: handlers.grpcStream });
  const { providers, routing, verification } = parts;
  verification.timers.start();
  routing.scoreSync?.start();
  announce(logger, server, { providers: providers.adapters, store: config.store.type });

  const close = once(async () => {
    draining.now = true;
    shutdown.abort();
    await server.close(config.server.shutdown_grace);
    await verification.timers.stop();
    providers.gateway.close();
    for (const adapter of providers.adapters.values()) await adapter.close?.();
    // Before the store closes: what this instance recorded since the last round is sent on the way out.
    await routing.scoreSync?.stop();
    await verification.fraud.close();
    await store.close();
    if (!options.telemetry) await telemetry.shutdown();
    logger.info({}, "verifyd stopped");
  });
  return {
    port: server.port,
    url,
    service: verification.service,
    store,
    providers: providers.adapters,
    timers: verification.timers,
    scorer: routing.scorer,
    breakers: providers.gateway.breakers,
    router: routing.router,
    fraud: verification.fraud,
    close,
  };
}

/**
 * The subsystems, each from its builder. The receipt inbox exists before the
 * service it relays to (adapters need it, and the gateway the service sends
 * through needs the adapters); metrics read the gateway, scorer and timers
 * only at scrape time, once all exist.
 */
function buildSubsystems(
  config: Config,
  options: AppOptions,
  env: { logger: AppLogger; clock: Clock; created: CreatedStore; telemetry: Telemetry; publicUrl: string },
) {
  const { logger, clock, created } = env;
  const inbox = new ReceiptRelay(logger);
  const observability = instrumentApp(env.telemetry, {
    get providers() {
      return providers.adapters;
    },
    breakerState: (provider, channel) => providers.gateway.breakerState(provider, channel),
    providerStats: config.scoring.enabled ? () => routing.scorer.allStats() : undefined,
    costOf: (provider, country) => providers.costOf(provider, country),
    timersInFlight: () => verification.timers.pending,
    storeEvictions: created.evictions,
  });
  const providers = buildProviders(config, { clock, inbox, publicUrl: env.publicUrl, observability });
  if (observability.onBreakerTransition) providers.gateway.onBreakerTransition(observability.onBreakerTransition);
  const routing = buildRouting(config, { ...providers, clock, logger, scoreStats: created.scoreStats, random: options.routeRandom });
  const verification = buildVerification(config, {
    store: created.store,
    gateway: providers.gateway,
    routes: routing.router,
    // The scorer's feed, metrics and receipt spans, and a log line per outcome and per failover.
    observer: composeObservers(routing.observer, observability.observer, eventLogObserver(logger)),
    limiterFactory: created.limiterFactory,
    clock,
    random: options.random ?? cryptoRandom,
    logger,
    instanceId: `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    secret: codeSecret(config, logger),
    observability,
    onTimerLateness: options.onTimerLateness,
    fraudState: created.fraudState,
  });
  inbox.connect(verification.service);
  return { inbox, observability, providers, routing, verification };
}

/**
 * The "verifyd listening" line, with the address actually bound (and, in
 * ready_ms, the time from the start of the process: for an embedded app, of
 * the process that embeds it); a warning when the simulators' outbox, codes
 * included, is reachable from other machines.
 */
function announce(
  logger: AppLogger,
  server: { host: string; port: number; scheme: string },
  served: { providers: ReadonlyMap<string, ProviderAdapter>; store: string },
): void {
  const address = hostPort(server.host, server.port);
  const url = selfUrl(server.scheme, server.host, server.port);
  logger.info({ address, url, providers: [...served.providers.keys()], store: served.store, ready_ms: Math.round(performance.now()) }, "verifyd listening");
  if (!isLoopback(server.host) && [...served.providers.values()].some((adapter) => adapter.outbox)) {
    logger.warn(
      { address },
      `simulated providers are configured, and GET /sim/outbox shows every message they "sent", codes included, to whoever reaches ${address}: ` +
        "bind server.host to 127.0.0.1, or configure real providers",
    );
  }
}

/** The first call runs `fn`; later calls get the same promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
