import type { OutboundMessage, ProviderAdapter, ProviderErrorKind } from "../providers/adapter.js";
import { ProviderError } from "../providers/adapter.js";

export type SendOutcome =
  | { ok: true; providerMessageId: string }
  | { ok: false; kind: ProviderErrorKind; message: string };

/**
 * How the dispatcher reaches a provider. The plain caller applies the
 * provider's timeout; breakers and scoring wrap this same interface.
 */
export interface ProviderCaller {
  send(adapter: ProviderAdapter, message: OutboundMessage): Promise<SendOutcome>;
}

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

export function toOutcome(error: unknown): SendOutcome {
  if (error instanceof ProviderError) return { ok: false, kind: error.kind, message: error.message };
  // Anything else is a transport fault or a bug in the adapter: the provider is unavailable to us.
  return { ok: false, kind: "unavailable", message: error instanceof Error ? error.message : String(error) };
}
