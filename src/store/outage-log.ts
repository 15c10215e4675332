import type { Logger } from "../verification/ports.js";

export interface OutageLogOptions {
  /** Names what keeps failing in every line, e.g. "event feed" or "database 127.0.0.1:27017". */
  subject: string;
  /** Fields added to every line, e.g. `{ server: "db-1:27017" }`. */
  fields?: Readonly<Record<string, unknown>>;
  /**
   * Wall-clock epoch ms. Outages are measured for people reading logs, so
   * this is real time even where the domain runs on a test's fake clock.
   */
  now?: () => number;
  /** While an outage lasts, one reminder line with the count so far this often; 0 for none. */
  remindEveryMs?: number;
}

const DEFAULT_REMIND_EVERY_MS = 60_000;

/**
 * Logs a failure that repeats (a poll, a heartbeat, a periodic purge against
 * a database that is down) once per outage instead of once per try: the
 * first failure at warn, later ones counted (and at debug), a reminder with
 * the count every `remindEveryMs` while it lasts, and one info line with the
 * count and the duration when the next success ends it.
 *
 * @example
 * const outage = new OutageLog(logger, { subject: "purge" });
 * try {
 *   await purge();
 *   outage.succeeded(); // "purge recovered after 12 failures in 61.0 s", once
 * } catch (error) {
 *   outage.failed(error, "purge failed; retrying on the next round"); // logged on the first failure only
 * }
 */
export class OutageLog {
  readonly #logger: Logger;
  readonly #subject: string;
  readonly #fields: Readonly<Record<string, unknown>>;
  readonly #now: () => number;
  readonly #remindEveryMs: number;
  #since: number | undefined;
  #failures = 0;
  #remindedAt = 0;

  constructor(logger: Logger, options: OutageLogOptions) {
    this.#logger = logger;
    this.#subject = options.subject;
    this.#fields = options.fields ?? {};
    this.#now = options.now ?? Date.now;
    this.#remindEveryMs = options.remindEveryMs ?? DEFAULT_REMIND_EVERY_MS;
  }

  /** Whether an outage is going on: a failure with no success since. */
  get failing(): boolean {
    return this.#since !== undefined;
  }

  /** Failures in the current outage (0 when none is going on). */
  get failures(): number {
    return this.#failures;
  }

  /** Records a failure; logs it when it starts an outage, or when a reminder is due. */
  failed(error: unknown, message: string): void {
    const now = this.#now();
    this.#failures++;
    if (this.#since === undefined) {
      this.#since = now;
      this.#remindedAt = now;
      this.#logger.warn({ ...this.#fields, err: error, outage: this.#subject }, message);
      return;
    }
    if (this.#remindEveryMs > 0 && now - this.#remindedAt >= this.#remindEveryMs) {
      this.#remindedAt = now;
      const durationMs = now - this.#since;
      this.#logger.warn(
        { ...this.#fields, err: error, outage: this.#subject, failures: this.#failures, durationMs },
        `${message} (still failing: ${this.#failures} failures in ${seconds(durationMs)})`,
      );
      return;
    }
    this.#logger.debug({ ...this.#fields, err: error, outage: this.#subject, failures: this.#failures }, message);
  }

  /** Records a success; when it ends an outage, logs one line with its count and duration. */
  succeeded(): void {
    if (this.#since === undefined) return;
    const durationMs = this.#now() - this.#since;
    const failures = this.#failures;
    this.#since = undefined;
    this.#failures = 0;
    this.#logger.info(
      { ...this.#fields, outage: this.#subject, failures, durationMs },
      `${this.#subject} recovered after ${failures} ${failures === 1 ? "failure" : "failures"} in ${seconds(durationMs)}`,
    );
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
