/**
 * The imperative shell around the guards: reads the shared state, runs the
 * pure decisions, stores the blocks they start, counts what was sent and
 * what was verified, and acts by the mode (enforce refuses, monitor only
 * records and counts). The domain reaches it through the SendGuard port.
 */
import { VerifyError } from "../verification/errors.js";
import type { Channel, VerificationEvent, VerificationRecord } from "../verification/model.js";
import type { Clock, Logger, SendGuard, SendIntent, SendPass } from "../verification/ports.js";
import { type CountedDecision, figureStrings, type GuardDecision, type GuardName } from "./decision.js";
import { describeDecision } from "./describe.js";
import { channelDecisions, channelsAllowed, sendIncrements, stateDecisions, verifiedIncrements } from "./evaluate.js";
import { type PhoneFacts, phoneFacts, prefixOf } from "./phone-facts.js";
import { type FraudSettings, isAllowListed } from "./settings.js";
import type { FraudSnapshot, FraudState, StoredBlock } from "./state.js";

export interface FraudGuardDeps {
  settings: FraudSettings;
  state: FraudState;
  clock: Clock;
  logger: Logger;
  /** Each decision made for a Start or Resend (verifyd_fraud_decisions_total). */
  onDecision?: (guard: GuardName, decision: CountedDecision, country: string) => void;
}

/** Everything the guards decide for one number and channel now, and what it means. */
export interface Assessment {
  facts: PhoneFacts;
  decisions: GuardDecision[];
  /** The first refusal, when some guard refuses. */
  refusal?: GuardDecision;
  /** Where only the asked channel is refused: the alternatives the guards allow. */
  allowedChannels: Channel[];
  newBlocks: StoredBlock[];
  provenRange: boolean;
}

const NOTHING_TO_COUNT: SendPass = { count: async () => undefined };

export class FraudGuard implements SendGuard {
  readonly #d: FraudGuardDeps;

  constructor(deps: FraudGuardDeps) {
    this.#d = deps;
  }

  get settings(): FraudSettings {
    return this.#d.settings;
  }

  /** Judges a send; throws PERMISSION_DENIED in enforce mode when a guard refuses. */
  async admit(intent: SendIntent): Promise<SendPass> {
    const { settings, state, logger } = this.#d;
    if (settings.mode === "off" || isAllowListed(settings, intent.phoneNumber)) return NOTHING_TO_COUNT;
    const now = this.#d.clock.now();
    const enforce = settings.mode === "enforce";
    const judged = this.#assess(intent, now, enforce);
    const assessment = judged instanceof Promise ? await judged : judged;
    for (const block of assessment.newBlocks) await this.#storeBlock(block);
    for (const decision of assessment.decisions) {
      const counted: CountedDecision = decision.decision === "allow" ? "allow" : enforce ? "block" : "would_block";
      this.#d.onDecision?.(decision.guard, counted, intent.country);
    }
    const { refusal, facts } = assessment;
    if (refusal) {
      logger.debug({ guard: refusal.guard, reason: refusal.reason, figures: refusal.figures, mode: settings.mode }, describeDecision(refusal));
      if (enforce) throw refusalError(refusal, assessment.allowedChannels);
    }
    return new SendCount(state, facts, assessment.provenRange, now);
  }

  /**
   * What every guard decides now. Read-only: blocks a judgement would start
   * come back in `newBlocks`, unstored. With `stopAtChannelRefusal`, a
   * channel refusal with no allowed alternative skips reading the state.
   */
  async assess(intent: SendIntent, now: number, options: { stopAtChannelRefusal?: boolean } = {}): Promise<Assessment> {
    return this.#assess(intent, now, options.stopAtChannelRefusal === true);
  }

  /** assess, answered at once when the state is (the memory store): a Start then awaits one promise fewer. */
  #assess(intent: SendIntent, now: number, stopAtChannelRefusal: boolean): Assessment | Promise<Assessment> {
    const { settings, state } = this.#d;
    const facts = phoneFacts(intent.phoneNumber, intent.country, settings.velocity.prefixStrip, intent.numberType);
    const byChannel = channelDecisions(settings, facts, intent.channel);
    const channelRefused = byChannel.some(isBlock);
    const alternatives = channelRefused ? channelsAllowed(settings, facts, intent.alternatives()) : [];
    if (channelRefused && alternatives.length === 0 && stopAtChannelRefusal) {
      return { facts, decisions: byChannel, refusal: byChannel.find(isBlock), allowedChannels: [], newBlocks: [], provenRange: false };
    }
    const snapshot = state.snapshot(facts.prefix, facts.country, now);
    if (snapshot instanceof Promise) return snapshot.then((read) => withState(settings, facts, byChannel, alternatives, read, now));
    return withState(settings, facts, byChannel, alternatives, snapshot, now);
  }

  /** ExplainRisk: what every guard would decide now, stored nowhere. An allow-listed number skips them all. */
  async explain(intent: SendIntent): Promise<Assessment & { allowListed: boolean }> {
    const { settings } = this.#d;
    if (isAllowListed(settings, intent.phoneNumber)) {
      const facts = phoneFacts(intent.phoneNumber, intent.country, settings.velocity.prefixStrip);
      return { facts, decisions: [], allowedChannels: [], newBlocks: [], provenRange: false, allowListed: true };
    }
    return { ...(await this.assess(intent, this.#d.clock.now())), allowListed: false };
  }

  /** The conversion guard's blocks in force, newest first. */
  async listBlocks(): Promise<StoredBlock[]> {
    const blocks = await this.#d.state.activeBlocks(this.#d.clock.now());
    return blocks.sort((a, b) => b.since - a.since);
  }

  /** Lifts a block in force and clears its scope's window; VerifyError not_found when there is none. */
  async unblock(scope: StoredBlock["scope"], key: string): Promise<StoredBlock> {
    const active = (await this.listBlocks()).find((block) => block.scope === scope && block.key === key);
    if (!active) throw VerifyError.notFound(`no ${scope} block on ${key} is in force`);
    await this.#d.state.clear(scope, key);
    this.#d.logger.warn({ scope, key, country: active.country }, `fraud guard: ${scope} ${key} unblocked by an operator`);
    return active;
  }

  close(): Promise<void> {
    return this.#d.state.close();
  }

  /**
   * The verified signal, from the event stream: a verified code counts for
   * its prefix and country, blocked or not (a recovering range is let out).
   */
  observe(events: readonly VerificationEvent[]): void {
    const { settings, logger } = this.#d;
    if (settings.mode === "off") return;
    for (const event of events) {
      if (event.type !== "verified" || isAllowListed(settings, event.verification.phoneNumber)) continue;
      this.#recordVerified(event.verification, event.at).catch((error: unknown) => logger.warn({ err: error }, "fraud guard: could not count a verification"));
    }
  }

  async #recordVerified(record: VerificationRecord, at: number): Promise<void> {
    const { settings, state } = this.#d;
    const windowMs = settings.conversion.windowMs;
    const prefix = prefixOf(record.phoneNumber, settings.velocity.prefixStrip);
    const before = await state.markVerified(prefix, at, windowMs);
    // Was the prefix proven when this code was sent? Only a run of verifications still going now can have covered that moment.
    const runGoesOn = before.lastVerifiedAt !== undefined && before.lastVerifiedAt > at - windowMs;
    const provenAtSend = runGoesOn && before.provenSince !== undefined && before.provenSince <= record.createdAt;
    await state.add(verifiedIncrements(prefix, record.country, !provenAtSend, at));
  }

  async #storeBlock(block: StoredBlock): Promise<void> {
    await this.#d.state.putBlock(block);
    this.#d.logger.warn(
      { scope: block.scope, key: block.key, country: block.country, level: block.level, until: new Date(block.until).toISOString(), figures: block.figures },
      `fraud guard: ${block.scope} ${block.key} blocked (conversion_guard, level ${block.level})${this.#d.settings.mode === "monitor" ? " (monitor mode: still sending)" : ""}`,
    );
  }
}

/** The pass a Start gets: counting the send once it goes out (a class, not a closure per Start). */
class SendCount implements SendPass {
  readonly #state: FraudState;
  readonly #facts: PhoneFacts;
  readonly #provenRange: boolean;
  readonly #at: number;

  constructor(state: FraudState, facts: PhoneFacts, provenRange: boolean, at: number) {
    this.#state = state;
    this.#facts = facts;
    this.#provenRange = provenRange;
    this.#at = at;
  }

  count(): Promise<void> {
    return this.#state.add(sendIncrements(this.#facts, this.#provenRange, this.#at));
  }
}

/** The channel decisions joined by the shared guards' over the state read. */
function withState(
  settings: FraudSettings,
  facts: PhoneFacts,
  byChannel: GuardDecision[],
  channelAlternatives: Channel[],
  snapshot: FraudSnapshot,
  now: number,
): Assessment {
  const judged = stateDecisions(settings, facts, snapshot, now);
  // The shared guards judge the number, not the channel: when they refuse, no channel is offered.
  const alternatives = judged.decisions.some(isBlock) ? [] : channelAlternatives;
  const decisions = [...byChannel, ...judged.decisions];
  return { facts, decisions, refusal: decisions.find(isBlock), allowedChannels: alternatives, newBlocks: judged.newBlocks, provenRange: judged.provenRange };
}

function isBlock(decision: GuardDecision): boolean {
  return decision.decision === "block";
}

/**
 * PERMISSION_DENIED naming the guard, with the reason and figures for
 * google.rpc.ErrorInfo, and the channels still allowed when only the asked
 * one is refused.
 */
export function refusalError(refusal: GuardDecision, allowedChannels: readonly Channel[]): VerifyError {
  const metadata: Record<string, string> = { guard: refusal.guard, ...figureStrings(refusal.figures) };
  let message = `refused by the fraud guard: ${describeDecision(refusal)}`;
  if (allowedChannels.length > 0) {
    metadata.allowed_channels = allowedChannels.join(",");
    message += `; allowed instead: ${allowedChannels.join(", ")}`;
  }
  return VerifyError.permissionDenied(message, refusal.reason, metadata);
}
