import type { Config } from "../config/schema.js";
import type { Gateway } from "../gateway/gateway.js";
import type { ProviderAdapter } from "../providers/adapter.js";
import { Router } from "../routing/router.js";
import { RoutingTable } from "../routing/routing-table.js";
import { scoreFeed } from "../routing/score-feed.js";
import { type ScoreStatsSync, ScoreSync } from "../routing/score-sync.js";
import { Scorer } from "../routing/scorer.js";
import type { Clock, EventObserver, Logger } from "../verification/ports.js";

export interface BuiltRouting {
  router: Router;
  scorer: Scorer;
  /** Shares the scorer's statistics with other instances; absent with a store of one's own. */
  scoreSync: ScoreSync | undefined;
  /** Feeds the scorer from the event stream; absent when scoring is off. */
  observer: EventObserver | undefined;
}

/**
 * The routing subsystem: the table as a prior, the scorer learning from every
 * event and from breaker openings, and the router that orders providers by
 * both. With a shared database every instance routes on the statistics of all
 * of them; otherwise the scorer stays local.
 */
export function buildRouting(
  config: Config,
  deps: {
    adapters: ReadonlyMap<string, ProviderAdapter>;
    gateway: Gateway;
    costOf: (provider: string, country: string) => number;
    clock: Clock;
    logger: Logger;
    scoreStats?: (scoring: { bucketMs: number; windowMs: number }) => ScoreStatsSync;
    random?: () => number;
  },
): BuiltRouting {
  const scoring = config.scoring;
  const now = () => deps.clock.now();
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
    now,
  );
  const scoreSync =
    scoring.enabled && deps.scoreStats
      ? new ScoreSync(scorer, deps.scoreStats({ bucketMs: scorer.bucketMs, windowMs: scoring.window }), {
          intervalMs: scoring.sync_interval,
          logger: deps.logger,
          now,
        })
      : undefined;
  deps.gateway.onBreakerTransition((transition) => {
    if (transition.state === "open") scorer.recordBreakerOpen(transition.provider, transition.channel);
    deps.logger.warn({ provider: transition.provider, channel: transition.channel, state: transition.state }, "circuit breaker changed state");
  });
  const router = new Router({
    table: new RoutingTable(config.routing, deps.adapters),
    scorer: scoring.enabled ? scorer : undefined,
    breakerState: (provider, channel) => deps.gateway.breakerState(provider, channel),
    defaultStrategy: config.routing.strategy,
    strategies: config.routing.strategies,
    costOf: deps.costOf,
    random: deps.random ?? Math.random,
  });
  return { router, scorer, scoreSync, observer: scoring.enabled ? scoreFeed(scorer, deps.costOf) : undefined };
}
