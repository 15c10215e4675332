import type { PendingEvent, VerificationRecord } from "../model.js";

/** Work a transition asks the shell to do once its write has succeeded. */
export type Effect = { kind: "wake_timers" };

/**
 * What a transition decided: the next record with its events and effects, or
 * `unchanged` (nothing to write). `result` is the transition's answer to its
 * caller; it is returned, never written to a variable outside the function,
 * so a retry after a version conflict simply calls the transition again.
 */
export type Outcome<T> = { record: VerificationRecord; events: PendingEvent[]; effects: Effect[]; result: T } | { unchanged: true; result: T };

/** A pure change of one verification: the current record and the time in, the outcome out. */
export type Transition<T> = (record: VerificationRecord, now: number) => Outcome<T>;

export function changed<T>(record: VerificationRecord, events: PendingEvent[], result: T, effects: Effect[] = []): Outcome<T> {
  return { record, events, effects, result };
}

export function unchanged<T>(result: T): Outcome<T> {
  return { unchanged: true, result };
}

/** The same outcome with its result mapped: for shells that wrap a transition to answer in their own terms. */
export function mapResult<T, U>(outcome: Outcome<T>, map: (result: T) => U): Outcome<U> {
  if ("unchanged" in outcome) return { unchanged: true, result: map(outcome.result) };
  return { ...outcome, result: map(outcome.result) };
}
