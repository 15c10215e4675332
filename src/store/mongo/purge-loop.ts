import type { Logger } from "../../verification/ports.js";
import { OutageLog } from "../outage-log.js";

/**
 * Runs the store's purge every `intervalMs` where the server has no TTL
 * indexes (FerretDB). With the database away it fails every round: that is
 * logged once per outage, with the count when a round succeeds again.
 */
export class PurgeLoop {
  readonly #timer: NodeJS.Timeout;

  constructor(purge: () => Promise<unknown>, intervalMs: number, logger: Logger) {
    const outage = new OutageLog(logger, { subject: "purge" });
    this.#timer = setInterval(() => {
      purge().then(
        () => outage.succeeded(),
        (error: unknown) => outage.failed(error, "purge failed; retrying on the next round"),
      );
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
