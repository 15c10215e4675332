import { timingSafeEqual } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { AdminService, BreakerState, ProviderInfoSchema, ProviderStatsSchema, RouteStepSchema, RoutingStrategy } from "../../gen/verify/admin/v1/admin_pb.js";
import type { BreakerState as DomainBreakerState } from "../gateway/breakers.js";
import type { ProviderAdapter } from "../providers/adapter.js";
import type { RoutingStrategy as DomainStrategy, Router } from "../routing/router.js";
import type { ProviderStats, Scorer } from "../routing/scorer.js";
import { VerifyError } from "../verification/errors.js";
import type { Channel } from "../verification/model.js";
import { parsePhone } from "../verification/phone.js";
import { type FraudAdminDeps, fraudAdminMethods } from "./fraud-admin-handlers.js";
import { channelFromProto, channelToProto } from "./to-proto.js";

export interface AdminDeps {
  providers: ReadonlyMap<string, ProviderAdapter>;
  router: Router;
  scorer: Scorer;
  breakerState(provider: string, channel: Channel): DomainBreakerState;
  /** ExplainRisk, ListBlocks, Unblock. */
  fraud: Omit<FraudAdminDeps, "routes">;
}

const BREAKER: Record<DomainBreakerState, BreakerState> = {
  closed: BreakerState.CLOSED,
  open: BreakerState.OPEN,
  half_open: BreakerState.HALF_OPEN,
};

const STRATEGY: Record<DomainStrategy, RoutingStrategy> = {
  static: RoutingStrategy.STATIC,
  score: RoutingStrategy.SCORE,
  cost: RoutingStrategy.COST,
};

/** verify.admin.v1.AdminService: provider health, route explanations, and the fraud guard's decisions and blocks. */
export function registerAdminHandlers(router: ConnectRouter, deps: AdminDeps): void {
  router.service(AdminService, {
    ...fraudAdminMethods({ ...deps.fraud, routes: deps.router }),
    async listProviders() {
      const all = deps.scorer.allStats();
      const peersOf = (stats: ProviderStats) => all.filter((peer) => peer.country === stats.country && peer.channel === stats.channel);
      return {
        providers: [...deps.providers.values()].map((provider) =>
          create(ProviderInfoSchema, {
            name: provider.name,
            type: provider.type,
            cost: provider.cost,
            channels: provider.channels.map(channelToProto),
            breakers: provider.channels.map((channel) => ({ channel: channelToProto(channel), state: BREAKER[deps.breakerState(provider.name, channel)] })),
            stats: all
              .filter((stats) => stats.provider === provider.name)
              .map((stats) =>
                create(ProviderStatsSchema, {
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
                  demoted: deps.scorer.isDemoted(stats, peersOf(stats)),
                  breakerOpens: stats.breakerOpens,
                }),
              ),
          }),
        ),
      };
    },

    async explainRoute(request) {
      const channel = channelFromProto(request.channel);
      if (!channel) throw VerifyError.invalidArgument(`channel ${request.channel} is not a known channel`);
      const phone = parsePhone(request.phoneNumber, request.defaultCountry || undefined);
      const decision = deps.router.route(phone.country, channel);
      let position = 0;
      return {
        phoneNumber: phone.e164,
        country: phone.country,
        channel: channelToProto(channel),
        strategy: STRATEGY[decision.strategy],
        steps: decision.entries.map((entry) =>
          create(RouteStepSchema, {
            provider: entry.provider,
            position: entry.skip ? 0 : ++position,
            tablePosition: entry.tablePosition + 1,
            score: entry.stats?.score,
            demoted: entry.demoted,
            breakerState: BREAKER[entry.breaker],
            exploration: entry.exploration,
            skipped: entry.skip,
            reason: entry.reason,
          }),
        ),
      };
    },
  });
}

/**
 * Requires `authorization: Bearer <admin.token>` on the admin service when a
 * token is configured. Compared in constant time.
 */
export function adminAuthInterceptor(token: string | undefined): Interceptor {
  const expected = token === undefined ? undefined : Buffer.from(token);
  return (next) => async (request) => {
    if (expected === undefined || request.service.typeName !== AdminService.typeName) return next(request);
    const header = request.header.get("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) throw new ConnectError("admin RPCs need an `authorization: Bearer <token>` header", Code.Unauthenticated);
    const given = Buffer.from(match[1]!.trim());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ConnectError("admin token is not valid", Code.PermissionDenied);
    }
    return next(request);
  };
}
