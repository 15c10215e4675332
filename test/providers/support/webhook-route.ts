/**
 * An adapter harness mounted behind verifyd's real webhook route, over real
 * HTTP, for the enclosing describe block: the harness is started and the
 * route's server listens before all tests, and both are closed after all.
 * The route's public URL is its own address, so what a provider signs and
 * what the route rebuilds agree.
 *
 * @example
 * const route = behindWebhookRoute(startTelnyx);
 * const response = await fetch(`${route.base}/webhooks/${PROVIDER}/ver_abc123/1`, { method: "POST", body });
 * expect(route.applied.at(-1)).toMatchObject({ state: "delivered" });
 */
import { afterAll, beforeAll } from "vitest";
import type { DeliveryReport, ProviderAdapter } from "../../../src/providers/adapter.js";
import type { StandInServer } from "./stand-in-server.js";
import { WebhookEndpoint } from "./stand-in-server.js";

export interface RoutedHarness<H> {
  /** The provider's harness, once started. */
  readonly h: H;
  /** "http://127.0.0.1:<port>" of the route's server. */
  readonly base: string;
  /** The reports the route applied, in order. */
  readonly applied: DeliveryReport[];
}

export function behindWebhookRoute<H extends { api: StandInServer; provider: ProviderAdapter }>(start: () => Promise<H>): RoutedHarness<H> {
  let h: H | undefined;
  let endpoint: WebhookEndpoint | undefined;
  beforeAll(async () => {
    h = await start();
    endpoint = await WebhookEndpoint.start([h.provider]);
  });
  afterAll(async () => {
    await endpoint?.close();
    await h?.api.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("behindWebhookRoute: used before its beforeAll ran");
    return value;
  };
  return {
    get h() {
      return started(h);
    },
    get base() {
      return started(endpoint).url;
    },
    get applied() {
      return started(endpoint).reports;
    },
  };
}
