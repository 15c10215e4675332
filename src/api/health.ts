import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";

/** What the health service reports, per service name ("" is the server as a whole). */
export interface HealthSource {
  services: readonly string[];
  /** True while this instance should get traffic (store reachable, not draining). */
  isServing(): Promise<boolean>;
  /** Aborts when the server starts draining. */
  shutdown: AbortSignal;
}

/** grpc.health.v1.Health: Check, List and Watch, as load balancers and grpc_health_probe use them. */
export function registerHealth(router: ConnectRouter, source: HealthSource): void {
  const known = new Set(["", ...source.services]);
  const statusOf = async (service: string) =>
    !known.has(service) ? ServingStatus.SERVICE_UNKNOWN : (await source.isServing()) ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;

  router.service(Health, {
    async check(request) {
      if (!known.has(request.service)) throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      return { status: await statusOf(request.service) };
    },
    async list() {
      const statuses: Record<string, { status: ServingStatus }> = {};
      for (const service of known) statuses[service] = { status: await statusOf(service) };
      return { statuses };
    },
    async *watch(request, context: HandlerContext) {
      const signal = AbortSignal.any([context.signal, source.shutdown]);
      let last: ServingStatus | undefined;
      while (!signal.aborted) {
        const status = await statusOf(request.service);
        if (status !== last) {
          last = status;
          yield { status };
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          signal.addEventListener(
            "abort",
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
      // Draining: tell the watcher before the stream ends, so it moves traffic away.
      if (source.shutdown.aborted && last !== ServingStatus.NOT_SERVING && !context.signal.aborted) {
        yield { status: ServingStatus.NOT_SERVING };
      }
    },
  });
}
