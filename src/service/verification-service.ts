import { runDueWork } from "../dispatch/timer-work.js";
import { VerifyError } from "../verification/errors.js";
import type { Channel, VerificationEvent, VerificationRecord } from "../verification/model.js";
import type { CallerSignal, DeliveryReport, ReceiptInbox, VerificationPage, VerificationQuery } from "../verification/ports.js";
import { asSeenAt } from "../verification/transitions/index.js";
import type { ServiceDeps } from "./deps.js";
import { type CheckResult, cancelVerification, check, get, resend } from "./lifecycle.js";
import { listVerifications } from "./list-verifications.js";
import { handleReceipt } from "./receipts.js";
import { type StartInput, start } from "./start.js";
import { watch } from "./watch.js";

export type { CheckResult } from "./lifecycle.js";
export type { StartInput } from "./start.js";

/**
 * The verification use cases behind one object: Start, Check, Resend,
 * Cancel, Get and Watch for callers, plus the two things that happen without
 * a caller, delivery receipts and due timers. Each lives in its own module;
 * this class only binds them to their dependencies and shows records as a
 * caller sees them (a code past its expiry reads as expired).
 */
/** Enough for every real client of one verification (an app, a console, a retry overlapping its predecessor). */
export const MAX_WATCHERS_PER_VERIFICATION = 16;

export class VerificationService implements ReceiptInbox {
  readonly #d: ServiceDeps;
  /** Open Watch streams per verification on this instance; entries exist only while a stream is open. */
  readonly #watchers = new Map<string, number>();

  constructor(deps: ServiceDeps) {
    this.#d = deps;
  }

  /** `signal`: the caller's deadline and presence (see CallerSignal); no provider call starts once it aborts. */
  async start(input: StartInput, signal?: CallerSignal): Promise<VerificationRecord> {
    return this.#seen(await start(this.#d, input, signal));
  }

  async check(verificationId: string, code: string, clientIp?: string): Promise<CheckResult> {
    const result = await check(this.#d, verificationId, code, clientIp);
    return { approved: result.approved, verification: this.#seen(result.verification) };
  }

  async resend(verificationId: string, channel?: Channel, clientIp?: string, signal?: CallerSignal): Promise<VerificationRecord> {
    return this.#seen(await resend(this.#d, verificationId, { channel, clientIp, signal }));
  }

  async cancel(verificationId: string): Promise<VerificationRecord> {
    return this.#seen(await cancelVerification(this.#d, verificationId));
  }

  async get(verificationId: string): Promise<VerificationRecord> {
    return this.#seen(await get(this.#d, verificationId));
  }

  /** One page of verifications for operators, newest first (ListVerifications). */
  list(query: VerificationQuery): Promise<VerificationPage> {
    return listVerifications(this.#d, query);
  }

  /**
   * Every open Watch costs the server a conversion and a write per event,
   * whether its client reads or not, so one verification gets at most
   * MAX_WATCHERS_PER_VERIFICATION streams on this instance.
   */
  async *watch(verificationId: string, signal: AbortSignal, afterSequence?: number): AsyncGenerator<VerificationEvent> {
    const open = this.#watchers.get(verificationId) ?? 0;
    if (open >= MAX_WATCHERS_PER_VERIFICATION) {
      throw new VerifyError("resource_exhausted", `at most ${MAX_WATCHERS_PER_VERIFICATION} Watch streams per verification on one instance`);
    }
    this.#watchers.set(verificationId, open + 1);
    try {
      yield* watch(this.#d, verificationId, signal, afterSequence);
    } finally {
      const left = (this.#watchers.get(verificationId) ?? 1) - 1;
      if (left === 0) this.#watchers.delete(verificationId);
      else this.#watchers.set(verificationId, left);
    }
  }

  handleReceipt(report: DeliveryReport): Promise<void> {
    return handleReceipt(this.#d, report);
  }

  /** The receipt inbox: the webhook route and adapters that receive receipts themselves hand them here. */
  report(receipt: DeliveryReport): Promise<void> {
    return handleReceipt(this.#d, receipt);
  }

  /** Timer work for a record the timer loop claimed. */
  runDue(claimed: VerificationRecord): Promise<void> {
    return runDueWork(this.#d, claimed);
  }

  #seen(record: VerificationRecord): VerificationRecord {
    return asSeenAt(record, this.#d.clock.now());
  }
}
