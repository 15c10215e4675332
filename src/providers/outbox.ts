import type { ProviderAdapter, SentMessage } from "./adapter.js";

/**
 * What every provider that keeps an outbox sent to `to` (or to anyone),
 * oldest first; undefined when no configured provider keeps one, so the
 * route can say there is nothing to read rather than "nothing sent yet".
 *
 * @example
 * const messages = outboxOf(adapters.values(), "+12025550100"); // GET /sim/outbox?to=...
 */
export function outboxOf(providers: Iterable<ProviderAdapter>, to?: string): SentMessage[] | undefined {
  let kept: SentMessage[] | undefined;
  for (const provider of providers) {
    if (!provider.outbox) continue;
    kept = [...(kept ?? []), ...provider.outbox(to)];
  }
  // ISO 8601 strings in UTC sort as the times they name; the sort is stable, so ties keep provider order.
  return kept?.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}
