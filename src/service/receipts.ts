import type { DeliveryReport } from "../verification/ports.js";
import { applyReceipt, attemptForReport } from "../verification/transitions/index.js";
import type { ServiceDeps } from "./deps.js";

/**
 * Applies a delivery receipt to the attempt it names, whether it came from a
 * webhook or from the simulator. A receipt that names no attempt we know, or
 * an attempt whose provider or message id differ from the receipt's, changes
 * nothing and is logged.
 */
export async function handleReceipt(deps: Pick<ServiceDeps, "store" | "writer" | "logger">, report: DeliveryReport): Promise<void> {
  const record = report.reference
    ? await deps.store.get(report.reference.verificationId)
    : report.providerMessageId
      ? await deps.store.findByProviderMessageId(report.provider, report.providerMessageId)
      : undefined;
  const attemptNumber = record ? attemptForReport(record, report) : undefined;
  if (!record || attemptNumber === undefined) {
    deps.logger.warn({ provider: report.provider, providerMessageId: report.providerMessageId }, "receipt for an unknown message");
    return;
  }
  const { result } = await deps.writer.apply(record.id, (current, now) => applyReceipt(current, attemptNumber, report, now), record);
  if (result === "held") {
    deps.logger.debug({ provider: report.provider, verificationId: record.id, attemptNumber }, "receipt held until the provider names the attempt's message");
  } else if (result === "not_this_attempt") {
    deps.logger.warn(
      { provider: report.provider, providerMessageId: report.providerMessageId, verificationId: record.id, attemptNumber },
      "receipt does not match the attempt it names; ignored",
    );
  }
}
