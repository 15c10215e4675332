import type { Channel } from "../verification/model.js";
import type { ServiceDeps } from "./deps.js";

/**
 * Lets a send through the fraud guard and the rate limits, in that order,
 * and only then has the guard count it: a send refused by either counts in
 * neither, and one that goes out counts once in each.
 */
export async function admitSend(
  deps: ServiceDeps,
  send: { phoneNumber: string; country: string; channel: Channel; numberType?: string },
  clientIp: string | undefined,
): Promise<void> {
  const { phoneNumber, country, channel, numberType } = send;
  const pass = await deps.guard?.admit({ phoneNumber, country, channel, numberType, alternatives: () => deps.routes.otherRoutableChannels(country, channel) });
  await deps.limits.consumeSend(send.phoneNumber, clientIp);
  await pass?.count();
}
