import type { ServerResponse } from "node:http";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
type NodeServerRequest = Parameters<NodeHandlerFn>[0];
type NodeServerResponse = Parameters<NodeHandlerFn>[1];

import type { SentMessage } from "../providers/adapter.js";
import type { ConsoleRoute } from "./console-route.js";

type Response = NodeServerResponse;

export interface PlainRoutesOptions {
  isServing(): Promise<boolean>;
  /** What providers that keep an outbox (the simulator) sent; undefined when none does. */
  outbox(to: string | undefined): SentMessage[] | undefined;
  webhooks(request: NodeServerRequest, response: NodeServerResponse, pathname: string, search: string): Promise<void>;
  /** Prometheus text for GET /metrics; absent when metrics are off (404). */
  metrics?: () => Promise<string | undefined>;
  /** /console and everything under /console/; absent when console.enabled is false (404). */
  console?: ConsoleRoute;
}

/** Everything on the port that is not an RPC: probes, the simulator's outbox and the console. */
export function createPlainRoutes(options: PlainRoutesOptions): NodeHandlerFn {
  return (request: NodeServerRequest, response: NodeServerResponse) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const route = `${request.method} ${url.pathname}`;
    if (options.console && (url.pathname === "/console" || url.pathname.startsWith("/console/"))) {
      return options.console(request, response as ServerResponse, url.pathname, url.search);
    }
    if (url.pathname.startsWith("/webhooks/")) {
      void options.webhooks(request, response, url.pathname, url.search).catch(() => {
        if (!response.headersSent) json(response, 500, { error: "internal error" });
      });
      return;
    }
    switch (route) {
      case "GET /metrics": {
        const metrics = options.metrics;
        if (!metrics) return json(response, 404, { error: "metrics are off (OTEL_METRICS_EXPORTER=none)" });
        void metrics().then(
          (text) => (text === undefined ? json(response, 404, { error: "metrics are off" }) : prometheusText(response, text)),
          () => json(response, 500, { error: "metrics collection failed" }),
        );
        return;
      }
      case "GET /healthz":
        return json(response, 200, { status: "ok" });
      case "GET /readyz":
        void options.isServing().then(
          (ready) => json(response, ready ? 200 : 503, { status: ready ? "ready" : "not ready" }),
          () => json(response, 503, { status: "not ready" }),
        );
        return;
      case "GET /sim/outbox": {
        const messages = options.outbox(url.searchParams.get("to") ?? undefined);
        if (!messages) return json(response, 404, { error: "no simulator is configured" });
        return json(response, 200, { messages });
      }
      default:
        return json(response, 404, { error: `no route for ${route}` });
    }
  };
}

function prometheusText(response: Response, text: string): void {
  (response as ServerResponse).writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function json(response: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  (response as ServerResponse).writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
