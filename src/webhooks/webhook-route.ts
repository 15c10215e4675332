import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { type ProviderAdapter, WebhookError } from "../providers/adapter.js";
import type { Logger, ReceiptInbox } from "../verification/ports.js";

/** Receipts are small; anything bigger is not a receipt. */
export const WEBHOOK_MAX_BYTES = 64 * 1024;

export interface WebhookRouteOptions {
  providers: ReadonlyMap<string, ProviderAdapter>;
  /** The public base URL (server.public_url): provider signatures cover the URL they called. */
  publicUrl(): string;
  /** Where the receipts a webhook carried go: the same inbox the simulator reports to. */
  inbox: ReceiptInbox;
  logger: Logger;
}

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/**
 * `POST /webhooks/<provider>/...`: hands the raw request to the provider's
 * adapter, which checks the signature before anything is read, then applies
 * the receipts it returns. A bad signature is 403 and changes nothing.
 */
export function createWebhookRoute(options: WebhookRouteOptions) {
  return async (request: Request, response: Response, pathname: string, search: string): Promise<void> => {
    const match = /^\/webhooks\/([a-z0-9][a-z0-9_-]{0,62})(\/.*)?$/.exec(pathname);
    const adapter = match ? options.providers.get(match[1]!) : undefined;
    if (!match || !adapter?.handleWebhook) return reply(response, 404, { error: "no webhook for this path" });
    if (request.method !== "POST" && request.method !== "GET") return reply(response, 405, { error: "webhooks are POST" });
    let body: Buffer;
    try {
      body = await readBody(request, WEBHOOK_MAX_BYTES);
    } catch (error) {
      if (error instanceof WebhookError) return reply(response, error.status, { error: error.message });
      throw error;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers[name.toLowerCase()] = value;
      else if (Array.isArray(value)) headers[name.toLowerCase()] = value.join(", ");
    }
    try {
      const result = await adapter.handleWebhook({
        method: request.method ?? "POST",
        url: `${options.publicUrl()}${pathname}${search}`,
        subpath: match[2] ?? "",
        headers,
        body,
      });
      for (const report of result.reports) await options.inbox.report(report);
      const status = result.status ?? 200;
      (response as ServerResponse).writeHead(status, { "content-type": result.contentType ?? "text/plain" });
      response.end(result.body ?? "");
    } catch (error) {
      if (error instanceof WebhookError) {
        options.logger.warn({ provider: adapter.name, status: error.status, reason: error.message }, "webhook refused");
        return reply(response, error.status, { error: error.message });
      }
      options.logger.error({ err: error, provider: adapter.name }, "webhook failed");
      // 5xx makes the provider retry later, which is what we want when our side failed.
      return reply(response, 500, { error: "internal error" });
    }
  };
}

function readBody(request: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > limit) return reject(new WebhookError(413, `body larger than ${limit} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners("data");
        request.resume();
        reject(new WebhookError(413, `body larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function reply(response: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  (response as ServerResponse).writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
