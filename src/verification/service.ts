import type { ProviderCaller } from "../dispatch/provider-caller.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { MessageRenderer } from "../messages/templates.js";
import type { AttemptReference, DeliveryReport, ProviderAdapter } from "../providers/adapter.js";
import type { RouteDecision } from "../routing/router.js";
import { DuplicateKeyError, type VerificationStore } from "../store/store.js";
import type { Clock } from "./clock.js";
import { type CodeVault, generateCode, type RandomSource } from "./codes.js";
import { VerifyError } from "./errors.js";
import {
  type Attempt,
  type Channel,
  type EventType,
  isFinished,
  TERMINAL_EVENTS,
  type VerificationEvent,
  type VerificationRecord,
} from "./model.js";
import { parsePhone } from "./phone.js";
import {
  resolveCodeLength,
  startFingerprint,
  validateClientIp,
  validateCodeFormat,
  validateIdempotencyKey,
  validateLocale,
  validateMetadata,
  validateVerificationId,
} from "./validation.js";

export interface VerificationPolicy {
  codeLength: number;
  codeTtlMs: number;
  deliveryWindowMs: number;
  maxCheckAttempts: number;
  resendMinIntervalMs: number;
  autoEscalate: boolean;
  defaultLocale: string;
  brand: string;
}

export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

/** Where provider order comes from: the routing table, or the scored router. */
export interface RouteSource {
  route(country: string, channel: Channel): RouteDecision;
  otherRoutableChannels(country: string, channel: Channel): Channel[];
}

export interface VerificationServiceDeps {
  store: VerificationStore;
  routing: RouteSource;
  caller: ProviderCaller;
  vault: CodeVault;
  limits: RateLimits;
  messages: MessageRenderer;
  policy: VerificationPolicy;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  /** This instance's name on leases. */
  instanceId: string;
  /** How long this instance owns a verification while sending, before another may take over. */
  leaseMs: number;
  /** Asks the timer loop to look for due work now. */
  wakeTimers?: () => void;
  /** Sees every event after it is stored: the scorer and metrics learn from these. */
  observer?: (events: readonly VerificationEvent[]) => void;
  /**
   * The caller's trace, as a W3C traceparent, kept on the record so work done
   * later without a caller (a timer's resend, a receipt) can link back to the
   * Start that armed it. Telemetry sets it; the domain only stores the string.
   */
  currentTraceContext?: () => string | undefined;
  /** Where a provider should post the receipts of one attempt; without it, providers get no callback URL. */
  callbackUrlFor?: (provider: string, reference: AttemptReference) => string;
}

export interface StartInput {
  phoneNumber: string;
  defaultCountry?: string;
  channel?: Channel;
  idempotencyKey?: string;
  clientIp?: string;
  locale?: string;
  codeLength?: number;
  metadata?: Record<string, string>;
}

export interface CheckResult {
  approved: boolean;
  verification: VerificationRecord;
}

/** An event before it has a sequence number and a snapshot. */
interface PendingEvent {
  type: Exclude<EventType, "snapshot">;
  provider?: string;
  reason?: string;
  attemptNumber?: number;
}

/** What a transition does to a copy of the record; `{ unchanged }` means: nothing to write. */
type Transition<T> = (draft: VerificationRecord, now: number) => { events: PendingEvent[]; result: T } | { unchanged: T };

const MAX_WRITE_RETRIES = 16;

/**
 * The verification state machine: Start, Check, Resend, Cancel, Get and
 * Watch, plus the two things that happen without a caller, delivery receipts
 * and due timers. It speaks only in domain terms; the API layer translates.
 */
export class VerificationService {
  readonly #d: VerificationServiceDeps;
  readonly #providers: Map<string, ProviderAdapter>;

  constructor(deps: VerificationServiceDeps, providers: Iterable<ProviderAdapter>) {
    this.#d = deps;
    this.#providers = new Map([...providers].map((provider) => [provider.name, provider]));
  }

  /**
   * Sends a one-time code. Replays an idempotency key without sending; with an
   * active verification on the number, re-sends the same code on it.
   */
  async start(input: StartInput): Promise<VerificationRecord> {
    const { policy, clock } = this.#d;
    const phone = parsePhone(input.phoneNumber, input.defaultCountry);
    const channel = input.channel ?? "sms";
    const codeLength = resolveCodeLength(input.codeLength ?? 0, policy.codeLength);
    const metadata = input.metadata ?? {};
    validateMetadata(metadata);
    const locale = validateLocale(input.locale, policy.defaultLocale);
    const clientIp = validateClientIp(input.clientIp);
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    // Only an idempotency key needs it: a replay must match the request that first used the key.
    const fingerprint = idempotencyKey === undefined ? "" : startFingerprint({ phoneNumber: phone.e164, channel, codeLength, locale, metadata });

    if (idempotencyKey !== undefined) {
      const replay = await this.#replayIdempotent(idempotencyKey, fingerprint);
      if (replay) return replay;
    }

    await this.#d.limits.consumeSend(phone.e164, clientIp);

    const active = await this.#d.store.findActiveByPhone(phone.e164);
    if (active) {
      const reused = await this.#reuseActive(active, channel);
      if (reused) return reused;
    }

    const now = clock.now();
    const id = newVerificationId(this.#d.random);
    const code = generateCode(codeLength, this.#d.random);
    const { provider: first, skipped } = this.#pickProvider(phone.country, channel, [], false);
    const record: VerificationRecord = {
      id,
      phoneNumber: phone.e164,
      country: phone.country,
      channel,
      status: "pending",
      attempts: first ? [newAttempt(id, 1, first.name, channel, now)] : [],
      createdAt: now,
      updatedAt: now,
      expiresAt: now + policy.codeTtlMs,
      checkAttemptsRemaining: policy.maxCheckAttempts,
      fallbackChannels: [],
      codeLength,
      codeHash: this.#d.vault.hash(id, code),
      sealedCode: this.#d.vault.seal(id, code),
      locale,
      metadata,
      idempotencyKey,
      requestFingerprint: fingerprint,
      clientIp,
      traceContext: this.#d.currentTraceContext?.(),
      // Held while this call sends; if the process dies, another instance resumes after the lease.
      dueAt: now + this.#d.leaseMs,
      lease: { owner: this.#d.instanceId, until: now + this.#d.leaseMs },
      sequence: 0,
      version: 0,
    };
    try {
      await this.#d.store.insert(record);
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      // Lost a race with a concurrent Start for the same key or number: answer as that one did.
      if (error.field === "idempotency_key" && idempotencyKey !== undefined) {
        const replay = await this.#replayIdempotent(idempotencyKey, fingerprint);
        if (replay) return replay;
      }
      const winner = await this.#d.store.findActiveByPhone(phone.e164);
      if (winner) return (await this.#reuseActive(winner, channel)) ?? this.#view(winner);
      throw VerifyError.unavailable("could not create the verification; try again", error);
    }
    const sent = await this.#dispatch(id, code, channel, { startWith: first ? 1 : undefined, reason: "start", skipped, known: record });
    if (sent.status === "failed") {
      throw VerifyError.unavailable(`no provider could take the message: ${describeRejections(sent, skipped)}`);
    }
    return this.#view(sent);
  }

  /** Tests a code. A wrong one uses up an attempt; the last wrong one locks. */
  async check(verificationId: string, code: string, clientIp?: string): Promise<CheckResult> {
    validateVerificationId(verificationId);
    validateCodeFormat(code);
    await this.#d.limits.consumeCheck(validateClientIp(clientIp));
    const { record, result } = await this.#mutate(verificationId, (draft, now): ReturnType<Transition<boolean>> => {
      if (isFinished(draft.status)) return { unchanged: false };
      if (now >= draft.expiresAt) return { events: [expire(draft)], result: false };
      const matches = code.length === draft.codeLength && this.#d.vault.matches(draft.id, code, draft.codeHash);
      if (matches) {
        finish(draft, "verified");
        draft.verifiedAt = now;
        return { events: [{ type: "verified" }], result: true };
      }
      draft.checkAttemptsRemaining = Math.max(0, draft.checkAttemptsRemaining - 1);
      if (draft.checkAttemptsRemaining === 0) {
        finish(draft, "locked");
        return { events: [{ type: "locked", reason: "too many wrong codes" }], result: false };
      }
      return {
        events: [{ type: "check_failed", reason: `wrong code; ${draft.checkAttemptsRemaining} attempts left` }],
        result: false,
      };
    });
    return { approved: result, verification: this.#view(record) };
  }

  /** "Didn't get it": the same code again, on the same channel or the one asked for. */
  async resend(verificationId: string, channel?: Channel, clientIp?: string): Promise<VerificationRecord> {
    validateVerificationId(verificationId);
    const ip = validateClientIp(clientIp);
    const current = await this.#getOrThrow(verificationId);
    const now = this.#d.clock.now();
    if (isFinished(current.status) || now >= current.expiresAt) {
      if (!isFinished(current.status)) await this.#mutate(verificationId, (draft) => (isFinished(draft.status) ? { unchanged: undefined } : { events: [expire(draft)], result: undefined }));
      throw VerifyError.failedPrecondition(`verification is ${isFinished(current.status) ? current.status : "expired"}; start a new one`);
    }
    const target = channel ?? current.channel;
    if (this.#d.routing.route(current.country, target).entries.length === 0) {
      throw VerifyError.failedPrecondition(`no provider delivers ${target} to ${current.country}`);
    }
    if (current.lastSendAt !== undefined && now - current.lastSendAt < this.#d.policy.resendMinIntervalMs) {
      const retryAfterMs = this.#d.policy.resendMinIntervalMs - (now - current.lastSendAt);
      throw VerifyError.rateLimited(`a resend is allowed ${Math.ceil(retryAfterMs / 1000)}s from now`, retryAfterMs);
    }
    if (sendingInProgress(current, now)) return this.#view(current);
    await this.#d.limits.consumeSend(current.phoneNumber, ip);
    const code = this.#unsealCode(current);
    return this.#view(await this.#dispatch(verificationId, code, target, { reason: "resend", restartRound: true, known: current }));
  }

  async cancel(verificationId: string): Promise<VerificationRecord> {
    validateVerificationId(verificationId);
    const { record } = await this.#mutate(verificationId, (draft) => {
      if (isFinished(draft.status)) {
        throw VerifyError.failedPrecondition(`verification is already ${draft.status}`);
      }
      finish(draft, "canceled");
      return { events: [{ type: "canceled" }], result: undefined };
    });
    return this.#view(record);
  }

  async get(verificationId: string): Promise<VerificationRecord> {
    validateVerificationId(verificationId);
    return this.#view(await this.#getOrThrow(verificationId));
  }

  /**
   * A snapshot, then every event in order, ending after a terminal event or
   * when `signal` aborts (the client left, or the server is shutting down).
   * A Watch resumed after a disconnect passes the last sequence it saw as
   * `afterSequence`: the stored events after it are replayed instead of the
   * snapshot; when the store no longer holds them all, the snapshot comes
   * first after all, so a client never misses a change without knowing.
   */
  async *watch(verificationId: string, signal: AbortSignal, afterSequence?: number): AsyncGenerator<VerificationEvent> {
    validateVerificationId(verificationId);
    const queue: VerificationEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.#d.store.subscribe(verificationId, (event) => {
      queue.push(event);
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      // Subscribed before reading, so nothing can fall between the snapshot (or replay) and the first live event.
      const record = await this.#getOrThrow(verificationId);
      const replay = afterSequence === undefined ? undefined : await this.#replayAfter(record, afterSequence);
      let last: number;
      if (replay && afterSequence !== undefined) {
        last = afterSequence;
        for (const event of replay) {
          last = event.sequence;
          yield { ...event, verification: this.#view(event.verification) };
          if (TERMINAL_EVENTS.has(event.type)) return;
        }
        // The client had already seen the end.
        if (isFinished(record.status) && last >= record.sequence) return;
      } else {
        const snapshot = this.#view(record);
        yield { verificationId, sequence: record.sequence, type: "snapshot", verification: snapshot, at: this.#d.clock.now() };
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
        yield { ...event, verification: this.#view(event.verification) };
        if (TERMINAL_EVENTS.has(event.type)) return;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      unsubscribe();
    }
  }

  /** The stored events after `afterSequence` up to the record's, or undefined when some are no longer stored. */
  async #replayAfter(record: VerificationRecord, afterSequence: number): Promise<VerificationEvent[] | undefined> {
    if (afterSequence > record.sequence) return undefined;
    if (afterSequence === record.sequence) return [];
    const events = await this.#d.store.readEvents(record.id, afterSequence);
    const contiguous = events.every((event, index) => event.sequence === afterSequence + 1 + index);
    const reachesRecord = (events.at(-1)?.sequence ?? afterSequence) >= record.sequence;
    return contiguous && reachesRecord ? events : undefined;
  }

  /** Applies a delivery receipt to its attempt. Idempotent, and order-tolerant. */
  async handleReceipt(report: DeliveryReport): Promise<void> {
    const record = report.reference
      ? await this.#d.store.get(report.reference.verificationId)
      : report.providerMessageId
        ? await this.#d.store.findByProviderMessageId(report.provider, report.providerMessageId)
        : undefined;
    const attemptNumber =
      report.reference?.attemptNumber ??
      record?.attempts.find((a) => a.provider === report.provider && a.providerMessageId === report.providerMessageId)?.number;
    if (!record || attemptNumber === undefined) {
      this.#d.logger.warn({ provider: report.provider, providerMessageId: report.providerMessageId }, "receipt for an unknown message");
      return;
    }
    let failoverNow = false;
    await this.#mutate(record.id, (draft, now) => {
      const attempt = draft.attempts[attemptNumber - 1];
      if (!attempt || attempt.provider !== report.provider) return { unchanged: undefined };
      if (report.providerMessageId && !attempt.providerMessageId) attempt.providerMessageId = report.providerMessageId;
      if (report.state === "intermediate") {
        // Queued / sent / accepted: worth keeping, but only delivery or verification stops the window.
        if (attempt.status === "delivered" || attempt.status === "undelivered" || attempt.providerStatus === report.providerStatus) {
          return { unchanged: undefined };
        }
        attempt.providerStatus = report.providerStatus;
        return { events: [], result: undefined };
      }
      if (report.state === "delivered") {
        if (attempt.status === "delivered") return { unchanged: undefined };
        attempt.status = "delivered";
        attempt.deliveredAt = report.at;
        attempt.providerStatus = report.providerStatus;
        if (!isFinished(draft.status)) {
          draft.status = "delivered";
          // Delivered: no more automatic resends; only expiry is left to watch for.
          draft.dueAt = draft.expiresAt;
        }
        return { events: [{ type: "delivered", provider: attempt.provider, attemptNumber }], result: undefined };
      }
      // Undelivered never overwrites delivered, and a duplicate changes nothing.
      if (attempt.status === "delivered" || attempt.status === "undelivered") return { unchanged: undefined };
      attempt.status = "undelivered";
      attempt.error = report.error ?? report.providerStatus ?? "undelivered";
      attempt.providerStatus = report.providerStatus;
      const isLatest = attemptNumber === draft.attempts.length;
      if (isLatest && !isFinished(draft.status) && draft.status !== "delivered") {
        draft.dueAt = now;
        failoverNow = true;
      }
      return {
        events: [{ type: "undelivered", provider: attempt.provider, attemptNumber, reason: attempt.error }],
        result: undefined,
      };
    }, record);
    if (failoverNow) this.#d.wakeTimers?.();
  }

  /**
   * Timer work for a record this instance has claimed: the delivery window
   * ran out (slow failover), a receipt said undelivered, the code expired, or
   * another instance died while sending.
   */
  async runDue(claimed: VerificationRecord): Promise<void> {
    const now = this.#d.clock.now();
    const last = claimed.attempts.at(-1);
    if (isFinished(claimed.status) || now >= claimed.expiresAt) {
      await this.#mutate(claimed.id, (draft) => {
        if (!isFinished(draft.status)) return { events: [expire(draft)], result: undefined };
        if (draft.dueAt === undefined && draft.lease === undefined) return { unchanged: undefined };
        draft.dueAt = undefined;
        draft.lease = undefined;
        return { events: [], result: undefined };
      });
      return;
    }
    if (last?.status === "sending") {
      // The instance that was sending died (its lease lapsed): send again with the same idempotency key.
      await this.#dispatch(claimed.id, this.#unsealCode(claimed), last.channel, { startWith: last.number, reason: "takeover", known: claimed });
      return;
    }
    if (last?.status === "rejected" && claimed.status !== "delivered") {
      // The instance died between recording a rejection and trying the next provider: carry on where it stopped.
      await this.#dispatch(claimed.id, this.#unsealCode(claimed), last.channel, { reason: "takeover", afterRejection: last.error, known: claimed });
      return;
    }
    const windowOver = last?.status === "submitted" && now >= (last.submittedAt ?? 0) + this.#d.policy.deliveryWindowMs;
    const undelivered = last?.status === "undelivered";
    if (claimed.status !== "delivered" && last && (windowOver || undelivered)) {
      const reason = undelivered ? "undelivered" : "no_receipt";
      await this.#dispatch(claimed.id, this.#unsealCode(claimed), claimed.channel, { reason, timedOut: windowOver ? last.number : undefined, known: claimed });
      return;
    }
    // Nothing to do yet: sleep until the window ends or the code expires.
    await this.#mutate(claimed.id, (draft) => {
      draft.lease = undefined;
      draft.dueAt = nextDue(draft, this.#d.policy.deliveryWindowMs);
      return { events: [], result: undefined };
    });
  }

  // --- sending ---------------------------------------------------------------

  /**
   * Sends the code through the channel's providers in route order until one
   * accepts (fast failover), recording every attempt. When the channel runs
   * out, offers the other routable channels, or escalates when configured to.
   */
  async #dispatch(
    id: string,
    code: string,
    channel: Channel,
    options: {
      reason: "start" | "resend" | "takeover" | "no_receipt" | "undelivered";
      /** The attempt already recorded as sending (Start's first, or a takeover). */
      startWith?: number;
      /** Attempt whose window ran out, marked timed out in the same write as the next attempt. */
      timedOut?: number;
      /** A caller's resend may go round the providers again once all were tried. */
      restartRound?: boolean;
      /** Providers Start passed over for its first attempt, noted on that attempt's event. */
      skipped?: string[];
      /** A takeover continuing fast failover after this rejection. */
      afterRejection?: string;
      /** The record as the caller last saw it: the first write tries it instead of reading again. */
      known?: VerificationRecord;
    },
  ): Promise<VerificationRecord> {
    let attemptNumber = options.startWith;
    let currentChannel = channel;
    let failoverReason: string | undefined =
      options.reason === "no_receipt" || options.reason === "undelivered"
        ? options.reason
        : options.afterRejection !== undefined
          ? `rejected: ${options.afterRejection.split(":")[0]}`
          : undefined;
    let restartRound = options.restartRound ?? false;
    let passedOverAll: string[] = options.skipped ?? [];
    // What led to the attempt about to be sent, for tracing.
    let attemptReason: string = options.reason;
    let attemptSkipped: readonly string[] | undefined = options.skipped;
    let latest = options.known;
    for (;;) {
      if (attemptNumber === undefined) {
        // Pick the next provider and record the attempt before calling it, so a crash leaves a trace to resume from.
        const { record, result } = await this.#mutate(id, (draft, now) => {
          if (isFinished(draft.status)) return { unchanged: undefined };
          const events: PendingEvent[] = [];
          if (options.timedOut !== undefined) {
            const timedOut = draft.attempts[options.timedOut - 1];
            if (timedOut?.status === "submitted") timedOut.status = "timed_out";
          }
          if (draft.channel !== currentChannel) {
            draft.channel = currentChannel;
            draft.fallbackChannels = draft.fallbackChannels.filter((c) => c !== currentChannel);
          }
          const { provider: next, skipped } = this.#pickProvider(draft.country, currentChannel, draft.attempts, restartRound);
          passedOverAll = skipped;
          if (!next) return { events, result: undefined };
          attemptReason = failoverReason ?? options.reason;
          attemptSkipped = skipped;
          const passedOver = skipped.length > 0 ? `; skipped ${skipped.join(", ")}` : "";
          if (failoverReason || passedOver) {
            events.push({ type: "failover", provider: next.name, reason: `${failoverReason ?? options.reason}${passedOver}`, attemptNumber: draft.attempts.length + 1 });
          }
          draft.attempts.push(newAttempt(draft.id, draft.attempts.length + 1, next.name, currentChannel, now));
          draft.lease = { owner: this.#d.instanceId, until: now + this.#d.leaseMs };
          draft.dueAt = draft.lease.until;
          return { events, result: draft.attempts.length };
        }, latest);
        restartRound = false;
        latest = record;
        if (isFinished(record.status)) return record;
        if (result === undefined) {
          const exhausted = await this.#channelExhausted(id, currentChannel, passedOverAll, record);
          if (exhausted.escalateTo) {
            currentChannel = exhausted.escalateTo;
            failoverReason = `escalated to ${currentChannel}`;
            continue;
          }
          return exhausted.record;
        }
        attemptNumber = result;
      }

      const record = latest ?? (await this.#getOrThrow(id));
      const attempt = record.attempts[attemptNumber - 1];
      if (!attempt) throw new Error(`attempt ${attemptNumber} missing on ${id}`);
      const adapter = this.#providers.get(attempt.provider);
      const outcome = adapter
        ? await this.#d.caller.send(adapter, {
            to: record.phoneNumber,
            channel: attempt.channel,
            code,
            body: this.#d.messages.render({
              channel: attempt.channel,
              locale: record.locale,
              code,
              brand: this.#d.policy.brand,
              ttlMs: Math.max(0, record.expiresAt - this.#d.clock.now()),
            }),
            locale: record.locale,
            idempotencyKey: attempt.idempotencyKey,
            reference: { verificationId: id, attemptNumber: attempt.number },
            callbackUrl: this.#d.callbackUrlFor?.(attempt.provider, { verificationId: id, attemptNumber: attempt.number }) ?? "",
            attemptContext: { country: record.country, reason: attemptReason, skipped: attemptSkipped?.length ? attemptSkipped : undefined },
          })
        : ({ ok: false, kind: "unavailable", message: `provider ${attempt.provider} is no longer configured` } as const);

      const number = attemptNumber;
      const note = number === options.startWith && options.skipped?.length ? `skipped ${options.skipped.join(", ")}` : undefined;
      const { record: written } = await this.#mutate(id, (draft, now) => {
        const current = draft.attempts[number - 1]!;
        if (outcome.ok) {
          current.providerMessageId ??= outcome.providerMessageId;
          current.submittedAt ??= now;
          // A receipt may have overtaken the provider's answer; never move an attempt backwards.
          if (current.status === "sending" || current.status === "rejected") current.status = "submitted";
          draft.lastSendAt = now;
          draft.lease = undefined;
          if (!isFinished(draft.status)) {
            if (current.status === "delivered") draft.status = "delivered";
            else if (draft.status === "pending") draft.status = "submitted";
            draft.dueAt = current.status === "undelivered" ? now : nextDue(draft, this.#d.policy.deliveryWindowMs);
          }
          return { events: [{ type: "submitted", provider: current.provider, attemptNumber: number, reason: note }], result: undefined };
        }
        current.status = "rejected";
        current.error = `${outcome.kind}: ${outcome.message}`;
        return {
          events: [{ type: "rejected", provider: current.provider, attemptNumber: number, reason: note ? `${current.error}; ${note}` : current.error }],
          result: undefined,
        };
      }, record);
      if (outcome.ok) {
        if (written.dueAt !== undefined && written.dueAt <= this.#d.clock.now()) this.#d.wakeTimers?.();
        return written;
      }
      if (isFinished(written.status)) return written;
      latest = written;
      failoverReason = `rejected: ${outcome.kind}`;
      attemptNumber = undefined;
    }
  }

  /** The channel's providers are used up: offer another channel, escalate, or fail. */
  async #channelExhausted(
    id: string,
    channel: Channel,
    skipped: readonly string[],
    known: VerificationRecord,
  ): Promise<{ record: VerificationRecord; escalateTo?: Channel }> {
    const passedOver = skipped.length > 0 ? `; skipped ${skipped.join(", ")}` : "";
    let escalateTo: Channel | undefined;
    const { record } = await this.#mutate(id, (draft) => {
      escalateTo = undefined;
      if (isFinished(draft.status)) return { unchanged: undefined };
      draft.lease = undefined;
      const tried = new Set(draft.attempts.map((attempt) => attempt.channel));
      const others = this.#d.routing
        .otherRoutableChannels(draft.country, channel)
        .filter((other) => !(this.#d.policy.autoEscalate && tried.has(other)));
      if (others.length > 0 && this.#d.policy.autoEscalate) {
        escalateTo = others[0];
        return { events: [], result: undefined };
      }
      const anyAccepted = draft.attempts.some((a) => a.status === "submitted" || a.status === "timed_out" || a.status === "delivered");
      const events: PendingEvent[] = [];
      if (others.length > 0) {
        const offerChanged = others.some((other) => !draft.fallbackChannels.includes(other));
        draft.fallbackChannels = others;
        if (offerChanged) events.push({ type: "fallback_available", reason: `${channel} providers exhausted; offer ${others.join(", ")}${passedOver}` });
      } else if (!anyAccepted) {
        finish(draft, "failed");
        events.push({ type: "failed", reason: `no provider on any channel could take the message${passedOver}` });
        return { events, result: undefined };
      }
      // A message already accepted may still arrive; keep the code valid until it expires.
      draft.dueAt = draft.expiresAt;
      return { events, result: undefined };
    }, known);
    return { record, escalateTo };
  }

  /**
   * The first provider of the route not yet tried for this verification on
   * this channel, and the ones passed over on the way (open breakers).
   */
  #pickProvider(
    country: string,
    channel: Channel,
    attempts: readonly Attempt[],
    restartRound: boolean,
  ): { provider: ProviderAdapter | undefined; skipped: string[] } {
    const { entries } = this.#d.routing.route(country, channel);
    const tried = new Set(attempts.filter((a) => a.channel === channel).map((a) => a.provider));
    const usable = entries.filter((entry) => !entry.skip);
    const skipped = entries.filter((entry) => entry.skip && !tried.has(entry.provider.name)).map((entry) => `${entry.provider.name} (${entry.reason})`);
    const untried = usable.find((entry) => !tried.has(entry.provider.name))?.provider;
    if (untried || !restartRound) return { provider: untried, skipped };
    // A caller asked again after every provider was tried: go round again, skipping ones that refused.
    const refused = new Set(attempts.filter((a) => a.channel === channel && a.status === "rejected").map((a) => a.provider));
    return { provider: (usable.find((entry) => !refused.has(entry.provider.name)) ?? usable[0])?.provider, skipped };
  }

  // --- helpers -----------------------------------------------------------------

  async #replayIdempotent(key: string, fingerprint: string): Promise<VerificationRecord | undefined> {
    const existing = await this.#d.store.findByIdempotencyKey(key);
    if (!existing) return undefined;
    if (existing.requestFingerprint !== fingerprint) {
      throw VerifyError.invalidArgument("idempotency_key was already used with different parameters");
    }
    if (this.#d.clock.now() < existing.expiresAt) return this.#view(existing);
    // An expired verification must not hold its key forever: release it, and let this Start create anew.
    await this.#mutate(existing.id, (draft) => {
      if (draft.idempotencyKey !== key) return { unchanged: undefined };
      draft.idempotencyKey = undefined;
      return { events: isFinished(draft.status) ? [] : [expire(draft)], result: undefined };
    });
    return undefined;
  }

  /** One valid code per number: a Start on a number with an active verification re-sends its code. */
  async #reuseActive(active: VerificationRecord, channel: Channel): Promise<VerificationRecord | undefined> {
    const now = this.#d.clock.now();
    if (now >= active.expiresAt) {
      await this.#mutate(active.id, (draft) => (isFinished(draft.status) ? { unchanged: undefined } : { events: [expire(draft)], result: undefined }));
      return undefined;
    }
    const tooSoon = active.lastSendAt !== undefined && now - active.lastSendAt < this.#d.policy.resendMinIntervalMs;
    if (tooSoon || sendingInProgress(active, now)) return this.#view(active);
    const target = this.#d.routing.route(active.country, channel).entries.length > 0 ? channel : active.channel;
    const record = await this.#dispatch(active.id, this.#unsealCode(active), target, { reason: "resend", restartRound: true, known: active });
    return this.#view(record);
  }

  #unsealCode(record: VerificationRecord): string {
    if (!record.sealedCode) throw new VerifyError("internal", `verification ${record.id} has no code to resend`);
    return this.#d.vault.unseal(record.id, record.sealedCode);
  }

  async #getOrThrow(id: string): Promise<VerificationRecord> {
    const record = await this.#d.store.get(id);
    if (!record) throw VerifyError.notFound(`verification ${id} not found`);
    return record;
  }

  /** What callers see: a code past its expiry reads as expired even before the timer has written it. */
  #view(record: VerificationRecord): VerificationRecord {
    if (!isFinished(record.status) && this.#d.clock.now() >= record.expiresAt) {
      return { ...record, status: "expired" };
    }
    return record;
  }

  /**
   * Read, change a copy, write it back if nobody wrote in between; otherwise
   * read again and redo the change on the newer state. Events get their
   * sequence numbers here and are published only after the write succeeded.
   */
  async #mutate<T>(id: string, transition: Transition<T>, known?: VerificationRecord): Promise<{ record: VerificationRecord; result: T }> {
    // A caller holding the record it just wrote or claimed may offer it, saving a read; a stale one only costs a retry.
    for (let tries = 0; tries < MAX_WRITE_RETRIES; tries++) {
      const offered = known;
      known = undefined;
      const current = offered ?? (await this.#getOrThrow(id));
      const now = this.#d.clock.now();
      const draft = cloneRecord(current);
      const outcome = transition(draft, now);
      if ("unchanged" in outcome) {
        // "Nothing to do" is only trusted on a fresh read.
        if (offered) continue;
        return { record: current, result: outcome.unchanged };
      }
      draft.updatedAt = now;
      const events: VerificationEvent[] = outcome.events.map((event) => ({
        verificationId: id,
        sequence: ++draft.sequence,
        at: now,
        verification: draft,
        ...event,
      }));
      // The events go with the write, so no instance can see the change without them.
      const stored = await this.#d.store.replace(draft, current.version, events);
      if (!stored) continue;
      if (events.length > 0) {
        for (const event of events) event.verification = stored;
        await this.#d.store.publish(events);
        this.#d.observer?.(events);
      }
      return { record: stored, result: outcome.result };
    }
    throw VerifyError.unavailable(`verification ${id} is changing too fast; try again`);
  }
}

function newAttempt(verificationId: string, number: number, provider: string, channel: Channel, now: number): Attempt {
  return { number, provider, channel, status: "sending", idempotencyKey: `${verificationId}-attempt-${number}`, startedAt: now };
}

function cloneRecord(record: VerificationRecord): VerificationRecord {
  return {
    ...record,
    attempts: record.attempts.map((attempt) => ({ ...attempt })),
    fallbackChannels: [...record.fallbackChannels],
  };
}

/** Ends a verification: its code can no longer be sent or checked, so the sealed copy goes. */
function finish(draft: VerificationRecord, status: "verified" | "expired" | "locked" | "canceled" | "failed"): void {
  draft.status = status;
  draft.sealedCode = undefined;
  draft.dueAt = undefined;
  draft.lease = undefined;
}

function expire(draft: VerificationRecord): PendingEvent {
  finish(draft, "expired");
  return { type: "expired" };
}

/** When the record next needs attention: the end of the current delivery window, else expiry. */
function nextDue(record: VerificationRecord, deliveryWindowMs: number): number {
  const last = record.attempts.at(-1);
  if (record.status !== "delivered" && last?.status === "submitted" && last.submittedAt !== undefined) {
    return Math.min(last.submittedAt + deliveryWindowMs, record.expiresAt);
  }
  return record.expiresAt;
}

function sendingInProgress(record: VerificationRecord, now: number): boolean {
  return record.attempts.at(-1)?.status === "sending" && record.lease !== undefined && record.lease.until > now;
}

function describeRejections(record: VerificationRecord, skipped: readonly string[]): string {
  const parts = record.attempts.map((attempt) => `${attempt.provider} (${attempt.error ?? attempt.status})`);
  if (skipped.length > 0) parts.push(`skipped ${skipped.join(", ")}`);
  return parts.length > 0 ? parts.join(", ") : `no provider is routed for ${record.country}`;
}

function newVerificationId(random: RandomSource): string {
  return `ver_${random.bytes(15).toString("base64url")}`;
}
