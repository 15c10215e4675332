import { VerifyError } from "../verification/errors.js";
import { type AttemptReason, type Channel, isFinished, type SkippedProvider, type VerificationRecord } from "../verification/model.js";
import type { CallerSignal, SendOutcome } from "../verification/ports.js";
import { abandonSending, beginAttempt, channelExhausted, mapResult, recordSendOutcome, timeOutAttempt, unchanged } from "../verification/transitions/index.js";
import type { DispatchDeps } from "./deps.js";
import { messageFor } from "./message.js";
import { planStep } from "./plan.js";

export interface SendRequest {
  id: string;
  code: string;
  channel: Channel;
  /** What leads to the first attempt this call makes (or re-sends, for a takeover). */
  reason: AttemptReason;
  /** The attempt already recorded as sending (Start's first, or a takeover). */
  startWith?: number;
  /** Attempt whose window ran out, marked timed out in the same write as the next attempt. */
  timedOut?: number;
  /** A caller's resend may go round the providers again once all were tried. */
  restartRound?: boolean;
  /** The record as the caller last saw it: the first write tries it instead of reading again. */
  known?: VerificationRecord;
  /** The caller's deadline and presence; timer work has none. */
  signal?: CallerSignal;
}

/** Where the fast-failover loop stands between two writes. */
interface LoopState {
  channel: Channel;
  reason: AttemptReason;
  restartRound: boolean;
  timedOut: number | undefined;
  record: VerificationRecord | undefined;
  attemptNumber: number | undefined;
  /** Channels this call has sent on or escalated to: never escalated to twice, even when all their providers were skipped. */
  visited: readonly Channel[];
}

/**
 * Fast failover: sends the code through the channel's providers in route
 * order until one accepts, recording every attempt before its call (so a
 * crash leaves a trace to resume from) and every answer after it. When the
 * channel runs out, offers the other routable channels, or escalates to the
 * next one when configured to.
 */
export async function sendCode(deps: DispatchDeps, request: SendRequest): Promise<VerificationRecord> {
  let state: LoopState = {
    channel: request.channel,
    reason: request.reason,
    restartRound: request.restartRound ?? false,
    timedOut: request.timedOut,
    record: request.known,
    attemptNumber: request.startWith,
    visited: [request.channel],
  };
  for (;;) {
    let attemptNumber = state.attemptNumber;
    if (request.signal?.aborted) await abandon(deps, request.id, state.record, request.signal);
    if (attemptNumber === undefined) {
      const next = await beginNext(deps, request.id, state);
      if (next.kind === "settled") return next.record;
      if (next.kind === "escalate") {
        const cause = { kind: "escalated", from: state.channel, to: next.to } as const;
        const visited = [...state.visited, next.to];
        state = { ...state, channel: next.to, reason: { kind: "failover", cause }, record: next.record, restartRound: false, visited };
        continue;
      }
      attemptNumber = next.attemptNumber;
      state = { ...state, record: next.record, attemptNumber, restartRound: false, timedOut: undefined };
    }
    const record = state.record ?? (await deps.writer.read(request.id));
    if (request.signal?.aborted) await abandon(deps, request.id, record, request.signal);
    const sent = await sendAttempt(deps, record, attemptNumber, request.code, state.reason);
    if (sent.outcome.ok || isFinished(sent.record.status)) return sent.record;
    const reason: AttemptReason = { kind: "failover", cause: { kind: "rejected", error: sent.outcome.error } };
    state = { ...state, record: sent.record, attemptNumber: undefined, reason };
  }
}

type NextStep =
  | { kind: "begun"; record: VerificationRecord; attemptNumber: number }
  | { kind: "escalate"; record: VerificationRecord; to: Channel }
  | { kind: "settled"; record: VerificationRecord };

/** Records the next provider's attempt, or, when the channel has none left, settles what happens next. */
async function beginNext(deps: DispatchDeps, id: string, state: LoopState): Promise<NextStep> {
  const current = state.record ?? (await deps.writer.read(id));
  if (isFinished(current.status)) return { kind: "settled", record: current };
  const route = deps.routes.plan(current.country, state.channel);
  const { record, result } = await deps.writer.apply(
    id,
    (latest, now) => {
      const step = planStep(route, latest.attempts, state.channel, state.restartRound);
      if (step.provider === undefined) {
        const none = { attemptNumber: undefined, skipped: step.skipped };
        return state.timedOut === undefined ? unchanged(none) : mapResult(timeOutAttempt(latest, state.timedOut), () => none);
      }
      const lease = { owner: deps.instanceId, until: now + deps.leaseMs };
      const attemptStep = { provider: step.provider, channel: state.channel, reason: state.reason, skipped: step.skipped, timedOut: state.timedOut };
      return mapResult(beginAttempt(latest, attemptStep, now, lease), (attemptNumber) => ({ attemptNumber, skipped: step.skipped }));
    },
    current,
  );
  if (isFinished(record.status)) return { kind: "settled", record };
  if (result.attemptNumber !== undefined) return { kind: "begun", record, attemptNumber: result.attemptNumber };
  return exhausted(deps, record, state, result.skipped);
}

/** The channel's providers are used up: escalate, offer other channels, or fail. */
async function exhausted(deps: DispatchDeps, record: VerificationRecord, state: LoopState, skipped: SkippedProvider[]): Promise<NextStep> {
  const channel = state.channel;
  const routable = deps.routes.otherRoutableChannels(record.country, channel);
  const otherChannels = deps.policy.autoEscalate ? routable.filter((other) => !state.visited.includes(other)) : routable;
  const input = { channel, otherChannels, autoEscalate: deps.policy.autoEscalate, skipped };
  const settled = await deps.writer.apply(record.id, (latest) => channelExhausted(latest, input), record);
  if (settled.result.kind === "escalate") return { kind: "escalate", record: settled.record, to: settled.result.to };
  return { kind: "settled", record: settled.record };
}

/**
 * The caller is gone or out of time: the attempt recorded for this call is
 * taken back before any provider is called, and the caller's reason thrown.
 * A call already in flight is never cut: it is bounded by the provider's
 * timeout instead.
 */
async function abandon(deps: DispatchDeps, id: string, known: VerificationRecord | undefined, signal: CallerSignal): Promise<never> {
  const window = deps.policy.deliveryWindowMs;
  await deps.writer.apply(id, (latest) => abandonSending(latest, window), known);
  throw callerGone(signal);
}

/** The reason the API aborted the caller's signal with, or canceled. */
export function callerGone(signal: CallerSignal): VerifyError {
  return signal.reason instanceof VerifyError ? signal.reason : new VerifyError("canceled", "the caller went away before the code was sent");
}

/** Calls the attempt's provider through the gateway and records its answer. */
async function sendAttempt(
  deps: DispatchDeps,
  record: VerificationRecord,
  attemptNumber: number,
  code: string,
  reason: AttemptReason,
): Promise<{ outcome: SendOutcome; record: VerificationRecord }> {
  const attempt = record.attempts[attemptNumber - 1];
  if (!attempt) throw new Error(`attempt ${attemptNumber} missing on ${record.id}`);
  const outcome = await deps.gateway.send(attempt.provider, messageFor(deps, record, attempt, code, reason));
  const window = deps.policy.deliveryWindowMs;
  const written = await deps.writer.apply(record.id, (latest, now) => recordSendOutcome(latest, attemptNumber, outcome, now, window), record);
  return { outcome, record: written.record };
}
