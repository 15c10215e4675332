/**
 * A tiny HTTP server standing in for a provider's API in adapter tests: it
 * records every request it gets and answers from a script of routes, so a
 * test can assert the exact request an adapter built and feed it the
 * provider's documented responses.
 *
 * @example
 * const api = await StandInServer.start();
 * api.route("POST", "/v2/messages", { status: 200, body: { data: { id: "msg-1" } } });
 * // ... point the adapter's base_url at api.url, send, then:
 * expect(api.requests[0]?.json).toMatchObject({ to: "+15551234567" });
 * await api.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DeliveryReport, ProviderAdapter } from "../../../src/providers/adapter.js";
import { createWebhookRoute } from "../../../src/webhooks/webhook-route.js";

export interface RecordedRequest {
  method: string;
  /** Path and query as received, e.g. "/sms/3/logs?messageId=abc". */
  url: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else is sent as JSON. */
  body?: unknown;
  /** Never answer: for abort and timeout tests. */
  hang?: boolean;
}

export type Responder = ScriptedResponse | ((request: RecordedRequest) => ScriptedResponse | Promise<ScriptedResponse>);

interface Route {
  method: string;
  path: string | RegExp;
  responder: Responder;
  /** Answers this many times, then stands aside for older routes; undefined is forever. */
  remaining: number | undefined;
}

export class StandInServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #routes: Route[] = [];
  readonly #hanging = new Set<ServerResponse>();

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a server on 127.0.0.1 and an ephemeral port. */
  static async start(): Promise<StandInServer> {
    let standIn: StandInServer | undefined;
    const server = createServer((request, response) => void standIn!.#handle(request, response));
    standIn = new StandInServer(server);
    await listenLocally(server);
    return standIn;
  }

  /** "http://127.0.0.1:<port>", to use as an adapter's base_url. */
  get url(): string {
    return localUrl(this.#server);
  }

  /**
   * Answers `method` requests whose path equals `path` (or matches it, for a
   * RegExp). The newest matching route wins, so a test can override a default.
   */
  route(method: string, path: string | RegExp, responder: Responder): this {
    this.#routes.unshift({ method: method.toUpperCase(), path, responder, remaining: undefined });
    return this;
  }

  /** Like route, but answers only the next matching request. */
  routeOnce(method: string, path: string | RegExp, responder: Responder): this {
    this.#routes.unshift({ method: method.toUpperCase(), path, responder, remaining: 1 });
    return this;
  }

  /** The requests that went to `path` (all of them when omitted). */
  requestsTo(path?: string): RecordedRequest[] {
    return path === undefined ? [...this.requests] : this.requests.filter((request) => request.path === path);
  }

  /** Forgets recorded requests and routes, for reuse across tests. */
  reset(): void {
    this.requests.length = 0;
    this.#routes.length = 0;
  }

  async close(): Promise<void> {
    for (const response of this.#hanging) response.destroy();
    this.#hanging.clear();
    await closeNow(this.#server);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = new URL(request.url ?? "/", "http://stand-in");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    const text = body.toString("utf8");
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const recorded: RecordedRequest = {
      method: request.method ?? "GET",
      url: request.url ?? "/",
      path: target.pathname,
      query: target.searchParams,
      headers,
      body,
      text,
      json,
    };
    this.requests.push(recorded);

    const route = this.#routes.find(
      (candidate) =>
        candidate.method === recorded.method && (typeof candidate.path === "string" ? candidate.path === recorded.path : candidate.path.test(recorded.path)),
    );
    if (!route) return send(response, { status: 404, body: { error: `no stand-in route for ${recorded.method} ${recorded.path}` } });
    if (route.remaining !== undefined && --route.remaining === 0) this.#routes.splice(this.#routes.indexOf(route), 1);
    const scripted = typeof route.responder === "function" ? await route.responder(recorded) : route.responder;
    if (scripted.hang) {
      this.#hanging.add(response);
      response.on("close", () => this.#hanging.delete(response));
      return;
    }
    send(response, scripted);
  }
}

/** Listens on 127.0.0.1 and an ephemeral port. */
async function listenLocally(server: Server): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
}

function localUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes the server without waiting for keep-alive connections to idle out. */
async function closeNow(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function send(response: ServerResponse, scripted: ScriptedResponse): void {
  const isText = typeof scripted.body === "string";
  const payload = scripted.body === undefined ? "" : isText ? (scripted.body as string) : JSON.stringify(scripted.body);
  const headers: Record<string, string> = { ...scripted.headers };
  if (payload && !Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers["content-type"] = isText ? "text/plain" : "application/json";
  }
  response.writeHead(scripted.status ?? 200, headers);
  response.end(payload);
}

/**
 * The other direction: verifyd's webhook route on a real HTTP server, for
 * posting a provider's callback to an adapter over a socket. The route builds
 * the URL the adapter verifies from `publicUrl` (the endpoint's own URL when
 * omitted) and the request path, as it does in production; the reports it
 * would apply are collected in `reports`.
 *
 * @example
 * const endpoint = await WebhookEndpoint.start([adapter], "https://verifyd.example.com");
 * // sign for `https://verifyd.example.com/webhooks/<name>/ver_1/1`, send to `${endpoint.url}/webhooks/<name>/ver_1/1`
 * expect(endpoint.reports).toHaveLength(1);
 * await endpoint.close();
 */
export class WebhookEndpoint {
  readonly reports: DeliveryReport[] = [];
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(adapters: readonly ProviderAdapter[], publicUrl?: string): Promise<WebhookEndpoint> {
    let endpoint: WebhookEndpoint | undefined;
    const silent = { debug() {}, info() {}, warn() {}, error() {} };
    const route = createWebhookRoute({
      providers: new Map(adapters.map((adapter) => [adapter.name, adapter])),
      publicUrl: () => publicUrl ?? endpoint!.url,
      inbox: { report: async (report) => void endpoint!.reports.push(report) },
      logger: silent,
    });
    const server = createServer((request, response) => {
      const target = new URL(request.url ?? "/", "http://webhook-endpoint");
      void route(request, response, target.pathname, target.search);
    });
    endpoint = new WebhookEndpoint(server);
    await listenLocally(server);
    return endpoint;
  }

  /** "http://127.0.0.1:<port>": where to send callbacks; what they are signed for is the public URL. */
  get url(): string {
    return localUrl(this.#server);
  }

  async close(): Promise<void> {
    await closeNow(this.#server);
  }
}
