import { ProviderError, type ProviderErrorKind } from "./adapter.js";

export interface ProviderResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * One HTTP call to a provider API. Transport failures (refused, reset, DNS,
 * aborted by the caller's timeout) become ProviderError "unavailable", so the
 * dispatcher fails over and the breaker counts them; HTTP error statuses are
 * returned for the adapter to map, since each provider documents its own.
 */
export async function providerFetch(provider: string, url: string, init: RequestInit & { signal: AbortSignal }): Promise<ProviderResponse> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, redirect: "error" });
  } catch (error) {
    if (init.signal.aborted)
      throw init.signal.reason instanceof ProviderError ? init.signal.reason : new ProviderError("unavailable", "aborted", provider, { cause: error });
    throw new ProviderError("unavailable", `transport error: ${(error as Error).message}`, provider, { cause: error });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/**
 * The kind an HTTP status implies when the provider's own error code does not
 * say more: 401/403 auth, 429 throttling, 5xx the provider is down.
 */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "unavailable";
  return "unavailable";
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** Joins a configured base URL and a path without doubling or dropping slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
