/** What the simulator's unit tests build on: a simulator from a `simulate:` block, and a message. */
import { providerSchema } from "../../../src/config/schema.js";
import type { DeliveryReport, OutboundMessage } from "../../../src/providers/adapter.js";
import { SimulatorProvider } from "../../../src/providers/simulator/simulator.js";

/** A simulator named sim-a whose receipts land in `receipts`; Date.now is its clock (vitest fakes it with the timers). */
export function simulator(simulate: unknown, receipts: DeliveryReport[] = []): SimulatorProvider {
  const config = providerSchema.parse({ name: "sim-a", type: "simulator", channels: ["sms"], simulate });
  if (config.type !== "simulator") throw new Error("expected a simulator config");
  return new SimulatorProvider(config, { receipts: { report: async (receipt) => void receipts.push(receipt) }, now: () => Date.now() });
}

export function message(to: string, attemptNumber = 1): OutboundMessage {
  return {
    to,
    channel: "sms",
    code: "123456",
    body: `code 123456 for ${to}`,
    locale: "en",
    idempotencyKey: `ver_x-attempt-${attemptNumber}`,
    reference: { verificationId: "ver_x", attemptNumber },
    callbackUrl: "",
  };
}

export const live = () => new AbortController().signal;
