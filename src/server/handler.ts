import type { DescFile } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { createContextValues } from "@connectrpc/connect";
import { file_grpc_health_v1_health } from "../../gen/grpc/health/v1/health_pb.js";
import { file_verify_admin_v1_admin } from "../../gen/verify/admin/v1/admin_pb.js";
import { file_verify_v1_verify } from "../../gen/verify/v1/verify_pb.js";
import { adminAuthInterceptor, registerAdminHandlers } from "../api/admin-handlers.js";
import { clientAddressPolicy, peerAddressKey } from "../api/client-address.js";
import { errorMappingInterceptor } from "../api/error-mapping.js";
import { registerHealth } from "../api/health.js";
import { registerReflection } from "../api/reflection.js";
import { registerVerificationHandlers } from "../api/verification-handlers.js";
import type { Config } from "../config/schema.js";
import type { FraudGuard } from "../fraud/fraud-guard.js";
import type { Gateway } from "../gateway/gateway.js";
import type { ProviderAdapter } from "../providers/adapter.js";
import { outboxOf } from "../providers/outbox.js";
import type { Router } from "../routing/router.js";
import type { Scorer } from "../routing/scorer.js";
import type { VerificationService } from "../service/verification-service.js";
import type { AppTelemetry } from "../telemetry/app-telemetry.js";
import type { Logger, ReceiptInbox } from "../verification/ports.js";
import { createWebhookRoute } from "../webhooks/webhook-route.js";
import { createConsoleRoute } from "./console-route.js";
import { createPlainRoutes } from "./plain-routes.js";
import { createRpcHandler, type RpcHandlers } from "./rpc-handler.js";

const SERVED = ["verify.v1.VerificationService", "verify.admin.v1.AdminService", "grpc.health.v1.Health"];

export interface HandlerDeps {
  config: Config;
  logger: Logger;
  service: VerificationService;
  adapters: ReadonlyMap<string, ProviderAdapter>;
  inbox: ReceiptInbox;
  router: Router;
  scorer: Scorer;
  fraud: FraudGuard;
  gateway: Gateway;
  observability: AppTelemetry;
  publicUrl: string;
  /** Aborts when the app drains: open Watch streams end. */
  shutdown: AbortSignal;
  isServing(): Promise<boolean>;
  extraRoutes?: (router: ConnectRouter) => void;
  extraFiles?: readonly DescFile[];
}

/** Everything the port answers: the RPC services over every protocol, then plain routes (probes, webhooks, metrics, outbox). */
export function buildHandler(deps: HandlerDeps): RpcHandlers {
  const { config, logger, observability } = deps;
  const extraFiles = deps.extraFiles ?? [];
  return createRpcHandler({
    logger,
    // The peer address, for per-IP limits when a request carries no client_ip.
    contextValues: (peerAddress) => createContextValues().set(peerAddressKey, peerAddress),
    routes: (router) => {
      registerVerificationHandlers(router, deps.service, deps.shutdown, clientAddressPolicy(config));
      registerHealth(router, { services: SERVED, isServing: deps.isServing, shutdown: deps.shutdown });
      registerAdminHandlers(router, {
        providers: deps.adapters,
        router: deps.router,
        scorer: deps.scorer,
        breakerState: (provider, channel) => deps.gateway.breakerState(provider, channel),
        fraud: { fraud: deps.fraud, testNumbers: new Set(config.test_numbers.map((entry) => entry.number)) },
        verifications: deps.service,
        watchIntervalMs: config.console.refresh_interval,
        shutdown: deps.shutdown,
      });
      deps.extraRoutes?.(router);
      registerReflection(
        router,
        [file_verify_v1_verify, file_verify_admin_v1_admin, file_grpc_health_v1_health, ...extraFiles],
        [
          ...SERVED,
          ...extraFiles.flatMap((file) => file.services.map((s) => s.typeName)),
          "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection",
        ],
      );
    },
    interceptors: [...observability.interceptors, errorMappingInterceptor(logger), adminAuthInterceptor(config.admin.token)],
    // Requests are small; a 1 MiB cap keeps a hostile body from costing memory.
    readMaxBytes: 1 << 20,
    fallback: createPlainRoutes({
      isServing: deps.isServing,
      outbox: (to) => outboxOf(deps.adapters.values(), to),
      metrics: observability.prometheusText,
      webhooks: createWebhookRoute({ providers: deps.adapters, publicUrl: () => deps.publicUrl, inbox: deps.inbox, logger }),
      console: config.console.enabled ? createConsoleRoute() : undefined,
    }),
  });
}
