import { describeEvent } from "../verification/describe.js";
import { TERMINAL_EVENTS, type VerificationEvent } from "../verification/model.js";
import type { EventObserver, Logger } from "../verification/ports.js";
import { maskPhone } from "./logger.js";

/**
 * One info line per verification outcome (verified, expired, locked, canceled,
 * failed) and per failover, with the number masked; the code never appears.
 * Everything else a verification goes through is in its Watch stream and in
 * the metrics, not the log.
 *
 * @example
 * {"msg":"failover from sim-a to sim-b: rejected: no_route","verificationId":"ver_…","phoneNumber":"+12*****0111",…}
 * {"msg":"verification verified","verificationId":"ver_…","phoneNumber":"+12*****0111","attempts":2,"provider":"sim-b",…}
 */
export function eventLogObserver(logger: Logger): EventObserver {
  return (events) => {
    for (const event of events) {
      if (event.type === "failover") logFailover(logger, event);
      else if (TERMINAL_EVENTS.has(event.type)) logOutcome(logger, event);
    }
  };
}

function facts(event: VerificationEvent) {
  const record = event.verification;
  return { verificationId: record.id, phoneNumber: maskPhone(record.phoneNumber), country: record.country, channel: record.channel };
}

function logFailover(logger: Logger, event: VerificationEvent): void {
  const attempts = event.verification.attempts;
  // The event names the attempt it leads to; the one before it is the provider left behind (none when only skips led here).
  const to = event.attemptNumber ? attempts[event.attemptNumber - 1] : undefined;
  const from = event.attemptNumber && event.cause ? attempts[event.attemptNumber - 2] : undefined;
  const reason = describeEvent(event);
  const route = from ? `from ${from.provider} to ${to?.provider ?? event.provider}` : `to ${to?.provider ?? event.provider}`;
  logger.info(
    { ...facts(event), from: from?.provider, to: to?.provider ?? event.provider, toChannel: to?.channel, reason, attempt: event.attemptNumber },
    `failover ${route}${reason ? `: ${reason}` : ""}`,
  );
}

function logOutcome(logger: Logger, event: VerificationEvent): void {
  const record = event.verification;
  const reason = describeEvent(event);
  logger.info(
    {
      ...facts(event),
      status: event.type,
      attempts: record.attempts.length,
      provider: record.attempts.at(-1)?.provider,
      durationMs: Math.max(0, event.at - record.createdAt),
      ...(reason ? { reason } : {}),
    },
    `verification ${event.type}`,
  );
}
