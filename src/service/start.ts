import { planStep } from "../dispatch/plan.js";
import { callerGone, sendCode } from "../dispatch/send-code.js";
import { unsealCode } from "../dispatch/timer-work.js";
import { generateCode } from "../verification/codes.js";
import { describeAttempts } from "../verification/describe.js";
import { VerifyError } from "../verification/errors.js";
import type { Channel, VerificationRecord } from "../verification/model.js";
import { parseTypedPhone } from "../verification/phone.js";
import { type CallerSignal, DuplicateKeyError } from "../verification/ports.js";
import { expire, neverSent, newVerification, releaseIdempotencyKey, resendVerdict } from "../verification/transitions/index.js";
import { resolveCodeLength, startFingerprint, validateClientIp, validateIdempotencyKey, validateLocale, validateMetadata } from "../verification/validation.js";
import { admitSend } from "./admit-send.js";
import type { ServiceDeps } from "./deps.js";
import { startTestNumber, testCodeFor } from "./test-numbers.js";

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

/** A Start's parameters once validated. */
interface StartRequest {
  phoneNumber: string;
  country: string;
  /** libphonenumber's type, for the fraud guard. */
  numberType: string;
  channel: Channel;
  codeLength: number;
  locale: string;
  metadata: Record<string, string>;
  clientIp: string | undefined;
  idempotencyKey: string | undefined;
  fingerprint: string;
}

/**
 * Sends a one-time code. Replays an idempotency key without sending; with an
 * active verification on the number, re-sends the same code on it (one valid
 * code per number).
 */
export async function start(deps: ServiceDeps, input: StartInput, signal?: CallerSignal): Promise<VerificationRecord> {
  // Before parsing: a test number need not be a valid one.
  const testCode = testCodeFor(deps, input.phoneNumber);
  if (testCode !== undefined) return startTestNumber(deps, input, testCode);
  const request = validateStart(deps, input);
  // Out of time before anything happened: nothing is created, nothing sent.
  if (signal?.aborted) throw callerGone(signal);
  if (request.idempotencyKey !== undefined) {
    const replay = await replayIdempotent(deps, request.idempotencyKey, request.fingerprint, signal);
    if (replay) return replay;
  }
  await admitSend(deps, request, request.clientIp);
  const active = await deps.store.findActiveByPhone(request.phoneNumber);
  if (active) {
    const reused = await reuseActive(deps, active, request.channel, signal);
    if (reused) return reused;
  }
  return createAndSend(deps, request, signal);
}

function validateStart(deps: ServiceDeps, input: StartInput): StartRequest {
  const { policy } = deps;
  const phone = parseTypedPhone(input.phoneNumber, input.defaultCountry);
  const channel = input.channel ?? "sms";
  const codeLength = resolveCodeLength(input.codeLength ?? 0, policy.codeLength);
  const metadata = input.metadata ?? {};
  validateMetadata(metadata);
  // No locale from the caller: the number's country says which language (a German number reads German).
  const locale = validateLocale(input.locale, deps.messages.localeFor?.(phone.country) ?? policy.defaultLocale);
  const clientIp = validateClientIp(input.clientIp);
  const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
  // Only an idempotency key needs it: a replay must match the request that first used the key.
  const fingerprint = idempotencyKey === undefined ? "" : startFingerprint({ phoneNumber: phone.e164, channel, codeLength, locale, metadata });
  return {
    phoneNumber: phone.e164,
    country: phone.country,
    numberType: phone.numberType,
    channel,
    codeLength,
    locale,
    metadata,
    clientIp,
    idempotencyKey,
    fingerprint,
  };
}

async function createAndSend(deps: ServiceDeps, request: StartRequest, signal: CallerSignal | undefined): Promise<VerificationRecord> {
  const now = deps.clock.now();
  const id = `ver_${deps.random.bytes(15).toString("base64url")}`;
  const code = generateCode(request.codeLength, deps.random);
  const first = planStep(deps.routes.plan(request.country, request.channel), [], request.channel, false);
  const lease = { owner: deps.instanceId, until: now + deps.leaseMs };
  const record = newVerification(
    {
      ...request,
      id,
      codeHash: deps.vault.hash(id, code),
      sealedCode: deps.vault.seal(id, code),
      requestFingerprint: request.fingerprint,
      traceContext: deps.currentTraceContext?.(),
      firstProvider: first.provider,
      firstSkipped: first.skipped,
    },
    deps.policy,
    now,
    lease,
  );
  try {
    await deps.store.insert(record);
  } catch (error) {
    if (!(error instanceof DuplicateKeyError)) throw error;
    return answerAsWinner(deps, request, error, signal);
  }
  const startWith = first.provider ? 1 : undefined;
  const sent = await sendCode(deps, { id, code, channel: request.channel, reason: { kind: "start" }, startWith, known: record, signal });
  if (sent.status === "failed") throw VerifyError.unavailable(`no provider could take the message: ${describeAttempts(sent, first.skipped)}`);
  return sent;
}

/** Lost a race with a concurrent Start for the same key or number: answer as that one did. */
async function answerAsWinner(deps: ServiceDeps, request: StartRequest, error: DuplicateKeyError, signal: CallerSignal | undefined): Promise<VerificationRecord> {
  if (error.field === "idempotency_key" && request.idempotencyKey !== undefined) {
    const replay = await replayIdempotent(deps, request.idempotencyKey, request.fingerprint, signal);
    if (replay) return replay;
  }
  const winner = await deps.store.findActiveByPhone(request.phoneNumber);
  if (winner) return (await reuseActive(deps, winner, request.channel, signal)) ?? winner;
  throw VerifyError.unavailable("could not create the verification; try again", error);
}

async function replayIdempotent(deps: ServiceDeps, key: string, fingerprint: string, signal: CallerSignal | undefined): Promise<VerificationRecord | undefined> {
  const existing = await deps.store.findByIdempotencyKey(key);
  if (!existing) return undefined;
  if (existing.requestFingerprint !== fingerprint) {
    throw VerifyError.invalidArgument("idempotency_key was already used with different parameters");
  }
  const now = deps.clock.now();
  // A Start cut short by its deadline before any provider took the code: the retry carries on from there.
  if (now < existing.expiresAt && neverSent(existing, now)) return resume(deps, existing, signal);
  if (now < existing.expiresAt) return existing;
  // An expired verification must not hold its key forever: release it, and let this Start create anew.
  await deps.writer.apply(existing.id, (record) => releaseIdempotencyKey(record, key));
  return undefined;
}

/** One valid code per number: a Start on a number with an active verification re-sends its code. */
async function reuseActive(
  deps: ServiceDeps,
  active: VerificationRecord,
  channel: Channel,
  signal: CallerSignal | undefined,
): Promise<VerificationRecord | undefined> {
  const verdict = resendVerdict(active, deps.clock.now(), deps.policy);
  if (verdict.kind === "expired") {
    await deps.writer.apply(active.id, expire);
    return undefined;
  }
  if (verdict.kind === "hold") return active;
  const target = deps.routes.plan(active.country, channel).length > 0 ? channel : active.channel;
  const code = unsealCode(deps, active);
  return sendCode(deps, { id: active.id, code, channel: target, reason: { kind: "resend" }, restartRound: true, known: active, signal });
}

async function resume(deps: ServiceDeps, record: VerificationRecord, signal: CallerSignal | undefined): Promise<VerificationRecord> {
  const code = unsealCode(deps, record);
  const sent = await sendCode(deps, { id: record.id, code, channel: record.channel, reason: { kind: "start" }, known: record, signal });
  if (sent.status === "failed") throw VerifyError.unavailable(`no provider could take the message: ${describeAttempts(sent)}`);
  return sent;
}
