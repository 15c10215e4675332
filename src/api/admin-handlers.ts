import { timingSafeEqual } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { AdminService, RouteStepSchema, RoutingStrategy } from "../../gen/verify/admin/v1/admin_pb.js";
import type { RoutingStrategy as DomainStrategy, Router } from "../routing/router.js";
import type { VerificationService } from "../service/verification-service.js";
import { VerifyError } from "../verification/errors.js";
import { parsePhone } from "../verification/phone.js";
import { type FraudAdminDeps, fraudAdminMethods } from "./fraud-admin-handlers.js";
import { listVerificationsMethod } from "./list-verifications.js";
import { BREAKER, type ProviderInfoDeps, providerInfos } from "./provider-info.js";
import { channelFromProto, channelToProto } from "./to-proto.js";
import { watchProvidersMethod } from "./watch-providers.js";

export interface AdminDeps extends ProviderInfoDeps {
  router: Router;
  /** ExplainRisk, ListBlocks, Unblock. */
  fraud: Omit<FraudAdminDeps, "routes">;
  /** ListVerifications. */
  verifications: Pick<VerificationService, "list">;
  /** WatchProviders' interval when a request names none (console.refresh_interval), ms. */
  watchIntervalMs: number;
  /** Aborts when the instance drains: WatchProviders streams end. */
  shutdown: AbortSignal;
}

const STRATEGY: Record<DomainStrategy, RoutingStrategy> = {
  static: RoutingStrategy.STATIC,
  score: RoutingStrategy.SCORE,
  cost: RoutingStrategy.COST,
};

/**
 * verify.admin.v1.AdminService: provider health (once, or live), route
 * explanations, the verifications list, and the fraud guard's decisions and
 * blocks.
 */
export function registerAdminHandlers(router: ConnectRouter, deps: AdminDeps): void {
  router.service(AdminService, {
    ...fraudAdminMethods({ ...deps.fraud, routes: deps.router }),
    listVerifications: listVerificationsMethod(deps.verifications),
    watchProviders: watchProvidersMethod({ providers: () => providerInfos(deps), defaultIntervalMs: deps.watchIntervalMs, shutdown: deps.shutdown }),

    async listProviders() {
      return { providers: providerInfos(deps) };
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
 * token is configured. Compared in constant time. Interceptors wrap every
 * call before its handler runs, so a server stream (WatchProviders) is
 * refused before it sends anything.
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
