import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { BreakerState, type ProviderInfo, ProviderInfoSchema, ProviderStatsSchema, StatsPointSchema } from "../../gen/verify/admin/v1/admin_pb.js";
import type { BreakerState as DomainBreakerState } from "../gateway/breakers.js";
import type { ProviderAdapter } from "../providers/adapter.js";
import type { ProviderStats, Scorer } from "../routing/scorer.js";
import type { Channel } from "../verification/model.js";
import { channelToProto } from "./to-proto.js";

/** What ListProviders and WatchProviders read. */
export interface ProviderInfoDeps {
  providers: ReadonlyMap<string, ProviderAdapter>;
  scorer: Scorer;
  breakerState(provider: string, channel: Channel): DomainBreakerState;
}

export const BREAKER: Record<DomainBreakerState, BreakerState> = {
  closed: BreakerState.CLOSED,
  open: BreakerState.OPEN,
  half_open: BreakerState.HALF_OPEN,
};

/**
 * Every provider with its channels, breakers and, per country and channel
 * with traffic in the scoring window, the window's figures and its history
 * bucket by bucket: what ListProviders answers and WatchProviders repeats.
 */
export function providerInfos(deps: ProviderInfoDeps): ProviderInfo[] {
  const all = deps.scorer.allStats();
  const peersOf = (stats: ProviderStats) => all.filter((peer) => peer.country === stats.country && peer.channel === stats.channel);
  return [...deps.providers.values()].map((provider) =>
    create(ProviderInfoSchema, {
      name: provider.name,
      type: provider.type,
      cost: provider.cost,
      channels: provider.channels.map(channelToProto),
      breakers: provider.channels.map((channel) => ({ channel: channelToProto(channel), state: BREAKER[deps.breakerState(provider.name, channel)] })),
      stats: all.filter((stats) => stats.provider === provider.name).map((stats) => statsToProto(deps.scorer, stats, peersOf(stats))),
    }),
  );
}

function statsToProto(scorer: Scorer, stats: ProviderStats, peers: readonly ProviderStats[]) {
  return create(ProviderStatsSchema, {
    country: stats.country,
    channel: channelToProto(stats.channel),
    accepted: BigInt(stats.accepted),
    rejected: BigInt(stats.rejected),
    delivered: BigInt(stats.delivered),
    undelivered: BigInt(stats.undelivered),
    verified: BigInt(stats.verified),
    deliveryRate: stats.deliveryRate,
    medianTimeToDelivery: stats.medianTimeToDeliveryMs === undefined ? undefined : durationFromMs(stats.medianTimeToDeliveryMs),
    completionRate: stats.completionRate,
    acceptanceRate: stats.acceptanceRate,
    spend: stats.spend,
    costPerSuccess: stats.costPerSuccess,
    score: stats.score,
    demoted: scorer.isDemoted(stats, peers),
    breakerOpens: stats.breakerOpens,
    history: scorer.history(stats.provider, stats.country, stats.channel).map((point) =>
      create(StatsPointSchema, {
        bucketStart: timestampFromMs(point.bucketStart),
        sends: BigInt(point.sends),
        deliveryRate: point.deliveryRate,
        score: point.score,
      }),
    ),
  });
}
