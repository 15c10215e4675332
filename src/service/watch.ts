import { isFinished, TERMINAL_EVENTS, type VerificationEvent, type VerificationRecord } from "../verification/model.js";
import { asSeenAt } from "../verification/transitions/index.js";
import { validateVerificationId } from "../verification/validation.js";
import type { ServiceDeps } from "./deps.js";

type WatchDeps = Pick<ServiceDeps, "store" | "writer" | "clock">;

/**
 * A snapshot, then every event in order, ending after a terminal event or
 * when `signal` aborts (the client left, or the server is shutting down).
 * A Watch resumed after a disconnect passes the last sequence it saw as
 * `afterSequence`: the stored events after it are replayed instead of the
 * snapshot; when the store no longer holds them all, the snapshot comes
 * first after all, so a client never misses a change without knowing.
 */
export async function* watch(deps: WatchDeps, verificationId: string, signal: AbortSignal, afterSequence?: number): AsyncGenerator<VerificationEvent> {
  validateVerificationId(verificationId);
  const queue: VerificationEvent[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = deps.store.subscribe(verificationId, (event) => {
    queue.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  const seen = (event: VerificationEvent): VerificationEvent => ({ ...event, verification: asSeenAt(event.verification, deps.clock.now()) });
  try {
    // Subscribed before reading, so nothing can fall between the snapshot (or replay) and the first live event.
    const record = await deps.writer.read(verificationId);
    const replay = afterSequence === undefined ? undefined : await replayAfter(deps, record, afterSequence);
    let last: number;
    if (replay && afterSequence !== undefined) {
      last = afterSequence;
      for (const event of replay) {
        last = event.sequence;
        yield seen(event);
        if (TERMINAL_EVENTS.has(event.type)) return;
      }
      // The client had already seen the end.
      if (isFinished(record.status) && last >= record.sequence) return;
    } else {
      const snapshot = asSeenAt(record, deps.clock.now());
      yield { verificationId, sequence: record.sequence, type: "snapshot", verification: snapshot, at: deps.clock.now() };
      if (isFinished(snapshot.status)) return;
      last = record.sequence;
    }
    while (!signal.aborted) {
      const event = queue.shift();
      if (!event) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (event.sequence <= last) continue;
      last = event.sequence;
      yield seen(event);
      if (TERMINAL_EVENTS.has(event.type)) return;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    unsubscribe();
  }
}

/** The stored events after `afterSequence` up to the record's, or undefined when some are no longer stored. */
async function replayAfter(deps: WatchDeps, record: VerificationRecord, afterSequence: number): Promise<VerificationEvent[] | undefined> {
  if (afterSequence > record.sequence) return undefined;
  if (afterSequence === record.sequence) return [];
  const events = await deps.store.readEvents(record.id, afterSequence);
  const contiguous = events.every((event, index) => event.sequence === afterSequence + 1 + index);
  const reachesRecord = (events.at(-1)?.sequence ?? afterSequence) >= record.sequence;
  return contiguous && reachesRecord ? events : undefined;
}
