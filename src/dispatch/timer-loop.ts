import type { Clock } from "../verification/clock.js";
import type { VerificationRecord } from "../verification/model.js";
import type { VerificationStore } from "../verification/ports.js";

export interface TimerLoopOptions {
  owner: string;
  pollIntervalMs: number;
  leaseMs: number;
  batchSize: number;
  /** Handlers running at once; provider calls inside them take time. */
  maxInFlight?: number;
  clock: Clock;
  /** Called with how late each claimed timer ran, in ms (benchmarks read it). */
  onLateness?: (lateMs: number) => void;
  onError?: (error: unknown, record?: VerificationRecord) => void;
  /** After a pass that could claim from the store: ends an outage that onError without a record began. */
  onClaimed?: () => void;
}

/**
 * Runs due timer work (delivery windows, expiry, takeovers). Timers live in
 * the store as a due time plus a lease, never only in this process: this loop
 * claims what is due, so any instance sharing the store can run it, and work
 * an instance was holding when it died is taken over once its lease lapses.
 */
export class TimerLoop {
  readonly #store: VerificationStore;
  readonly #handle: (record: VerificationRecord) => Promise<void>;
  readonly #options: Required<Omit<TimerLoopOptions, "onLateness" | "onError" | "onClaimed">> & Pick<TimerLoopOptions, "onLateness" | "onError" | "onClaimed">;
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #ticking = false;
  #wakeAgain = false;

  constructor(store: VerificationStore, handle: (record: VerificationRecord) => Promise<void>, options: TimerLoopOptions) {
    this.#store = store;
    this.#handle = handle;
    this.#options = { ...options, maxInFlight: options.maxInFlight ?? 256 };
  }

  start(): void {
    this.#running = true;
    this.#schedule(0);
  }

  /** Looks for due work now, e.g. after a receipt made something due at once. */
  wake(): void {
    if (!this.#running) return;
    if (this.#ticking) this.#wakeAgain = true;
    else this.#schedule(0);
  }

  get pending(): number {
    return this.#inFlight.size;
  }

  /** Stops claiming and waits for the handlers already running. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** One pass: claims and runs everything due now. Exposed for tests that drive time by hand. */
  async runDue(): Promise<number> {
    const { owner, leaseMs, batchSize, maxInFlight, clock } = this.#options;
    let total = 0;
    for (;;) {
      const room = Math.min(batchSize, maxInFlight - this.#inFlight.size);
      if (room <= 0) {
        await Promise.race(this.#inFlight);
        continue;
      }
      const now = clock.now();
      const claimed = await this.#store.claimDue(now, owner, leaseMs, room);
      for (const record of claimed) {
        this.#options.onLateness?.(now - (record.dueAt ?? now));
        const work = this.#handle(record)
          .catch((error: unknown) => this.#options.onError?.(error, record))
          .finally(() => this.#inFlight.delete(work));
        this.#inFlight.add(work);
      }
      total += claimed.length;
      if (claimed.length < room) return total;
      // A backlog of instant work must not starve RPCs and health checks: let I/O run between batches.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, delayMs));
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    this.#ticking = true;
    try {
      await this.runDue();
      this.#options.onClaimed?.();
    } catch (error) {
      // The store is unreachable; try again on the next poll.
      this.#options.onError?.(error);
    } finally {
      this.#ticking = false;
    }
    if (this.#wakeAgain) {
      this.#wakeAgain = false;
      this.#schedule(0);
      return;
    }
    const { pollIntervalMs, clock } = this.#options;
    const next = this.#store.nextDueAt?.();
    const untilNext = next === undefined ? pollIntervalMs : Math.min(pollIntervalMs, next - clock.now());
    this.#schedule(untilNext);
  }
}
