import { VerifyError } from "../verification/errors.js";
import { isFinished, type VerificationRecord } from "../verification/model.js";
import { applyReceipt, dueWork, settleFinished, sleepUntilDue } from "../verification/transitions/index.js";
import type { DispatchDeps } from "./deps.js";
import { sendCode } from "./send-code.js";

/**
 * Timer work for a record this instance has claimed: settle a finished or
 * expired one, take over a send whose instance died, carry on a fast
 * failover cut short, or fail over slowly when a delivery window ran out
 * (after asking the provider, where it can say) or a receipt said
 * undelivered. The same code goes out again; never a new one.
 */
export async function runDueWork(deps: DispatchDeps, claimed: VerificationRecord): Promise<void> {
  const work = dueWork(claimed, deps.clock.now(), deps.policy.deliveryWindowMs);
  const base = { id: claimed.id, known: claimed };
  switch (work.kind) {
    case "settle":
      await deps.writer.apply(claimed.id, settleFinished);
      return;
    case "sleep":
      await deps.writer.apply(claimed.id, (record) => sleepUntilDue(record, deps.policy.deliveryWindowMs), claimed);
      return;
    case "takeover":
      await sendCode(deps, { ...base, code: unsealCode(deps, claimed), channel: work.channel, reason: { kind: "takeover" }, startWith: work.attemptNumber });
      return;
    case "continue_failover": {
      const reason = { kind: "failover", cause: { kind: "rejected", error: work.error } } as const;
      await sendCode(deps, { ...base, code: unsealCode(deps, claimed), channel: work.channel, reason });
      return;
    }
    case "undelivered":
      await sendCode(deps, { ...base, code: unsealCode(deps, claimed), channel: claimed.channel, reason: { kind: "failover", cause: { kind: "undelivered" } } });
      return;
    case "window_over":
      await windowOver(deps, claimed, work);
      return;
  }
}

/**
 * No receipt by the end of the delivery window. Where the provider can be
 * asked, ask first: delivered stops here (no resend), undelivered fails over
 * at once as `undelivered`; anything else fails over as `no_receipt`. The
 * answer is applied exactly like a receipt, so scoring counts it the same.
 */
async function windowOver(deps: DispatchDeps, claimed: VerificationRecord, work: Extract<ReturnType<typeof dueWork>, { kind: "window_over" }>): Promise<void> {
  let record = claimed;
  if (work.providerMessageId !== undefined && deps.gateway.canQueryStatus(work.provider)) {
    const report = await deps.gateway.queryStatus(work.provider, work.providerMessageId);
    if (report && report.state !== "intermediate") {
      const applied = await deps.writer.apply(
        claimed.id,
        (latest, now) => applyReceipt(latest, work.attemptNumber, { ...report, provider: work.provider }, now),
        claimed,
      );
      record = applied.record;
      if (report.state === "delivered" || record.status === "delivered" || isFinished(record.status)) return;
      await sendCode(deps, {
        id: record.id,
        known: record,
        code: unsealCode(deps, record),
        channel: record.channel,
        reason: { kind: "failover", cause: { kind: "undelivered" } },
      });
      return;
    }
  }
  const reason = { kind: "failover", cause: { kind: "no_receipt" } } as const;
  await sendCode(deps, { id: record.id, known: record, code: unsealCode(deps, record), channel: record.channel, reason, timedOut: work.attemptNumber });
}

export function unsealCode(deps: Pick<DispatchDeps, "vault">, record: VerificationRecord): string {
  if (!record.sealedCode) throw new VerifyError("internal", `verification ${record.id} has no code to resend`);
  return deps.vault.unseal(record.id, record.sealedCode);
}
