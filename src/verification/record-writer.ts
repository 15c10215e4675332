import { VerifyError } from "./errors.js";
import type { VerificationEvent, VerificationRecord } from "./model.js";
import type { Clock, EventObserver, VerificationStore } from "./ports.js";
import type { Effect, Transition } from "./transitions/outcome.js";

const MAX_WRITE_RETRIES = 16;

export interface RecordWriterDeps {
  store: VerificationStore;
  clock: Clock;
  /** Sees every event after its write succeeded (scorer, metrics). */
  observer?: EventObserver;
  /** Performs the effects a transition asked for, after its write. */
  perform?: (effect: Effect) => void;
}

/**
 * The imperative shell around the pure transitions: read, apply, write with a
 * version check, and on a conflict read again and apply again to the newer
 * state. Events get their sequence numbers here, go into the store with the
 * write, and are published (and observed) only after it succeeded.
 */
export class RecordWriter {
  readonly #d: RecordWriterDeps;

  constructor(deps: RecordWriterDeps) {
    this.#d = deps;
  }

  async read(id: string): Promise<VerificationRecord> {
    const record = await this.#d.store.get(id);
    if (!record) throw VerifyError.notFound(`verification ${id} not found`);
    return record;
  }

  /**
   * Applies `transition` to the verification and stores the result. A caller
   * holding the record it just wrote or claimed may offer it as `known`,
   * saving a read; a stale one only costs a retry, and "nothing to do" is
   * trusted only on a fresh read.
   */
  async apply<T>(id: string, transition: Transition<T>, known?: VerificationRecord): Promise<{ record: VerificationRecord; result: T }> {
    let offered = known;
    for (let tries = 0; tries < MAX_WRITE_RETRIES; tries++) {
      const current = offered ?? (await this.read(id));
      const wasOffered = offered !== undefined;
      offered = undefined;
      const now = this.#d.clock.now();
      const outcome = transition(current, now);
      if ("unchanged" in outcome) {
        if (wasOffered) continue;
        return { record: current, result: outcome.result };
      }
      const next: VerificationRecord = { ...outcome.record, updatedAt: now, sequence: current.sequence + outcome.events.length };
      const events: VerificationEvent[] = outcome.events.map((event, index) => ({
        ...event,
        verificationId: id,
        sequence: current.sequence + 1 + index,
        at: now,
        verification: next,
      }));
      const stored = await this.#d.store.replace(next, current.version, events);
      if (!stored) continue;
      if (events.length > 0) {
        for (const event of events) event.verification = stored;
        await this.#d.store.publish(events);
        this.#d.observer?.(events);
      }
      for (const effect of outcome.effects) this.#d.perform?.(effect);
      return { record: stored, result: outcome.result };
    }
    throw VerifyError.unavailable(`verification ${id} is changing too fast; try again`);
  }
}
