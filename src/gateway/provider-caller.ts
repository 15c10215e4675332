import type { OutboundMessage, ProviderAdapter } from "../providers/adapter.js";
import { ProviderError } from "../providers/adapter.js";
import type { SendOutcome } from "../verification/ports.js";

/**
 * One link of the provider-call chain (timeout, breaker, tracing): each wraps
 * the next behind this same interface, and the gateway holds the outermost.
 */
export interface ProviderCaller {
  send(adapter: ProviderAdapter, message: OutboundMessage): Promise<SendOutcome>;
}

/** The innermost link: the provider's own call, bounded by its timeout. */
export class TimeoutCaller implements ProviderCaller {
  constructor(private readonly timeoutFor: (provider: string) => number) {}

  async send(adapter: ProviderAdapter, message: OutboundMessage): Promise<SendOutcome> {
    const timeoutMs = this.timeoutFor(adapter.name);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // Race the send against the timeout: an adapter that ignores its signal still counts as failed on time.
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const reason = new ProviderError("unavailable", `timed out after ${timeoutMs}ms`, adapter.name);
        // Abort the provider's own work too, so a hanging call does not keep sockets or timers alive.
        controller.abort(reason);
        reject(reason);
      }, timeoutMs);
    });
    try {
      const result = await Promise.race([adapter.send(message, controller.signal), timedOut]);
      return { ok: true, providerMessageId: result.providerMessageId };
    } catch (error) {
      return toOutcome(controller.signal.aborted ? controller.signal.reason : error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What a thrown error means for the attempt: a ProviderError keeps its kind; anything else is the provider being unavailable to us. */
export function toOutcome(error: unknown): SendOutcome {
  if (error instanceof ProviderError) return { ok: false, error: { kind: error.kind, message: error.message } };
  return { ok: false, error: { kind: "unavailable", message: error instanceof Error ? error.message : String(error) } };
}
