import type { Attempt, Channel, SkippedProvider } from "../verification/model.js";
import type { RouteChoice } from "../verification/ports.js";

/** The provider chosen for the next attempt on a channel, and the ones passed over on the way. */
export interface PlannedStep {
  provider: string | undefined;
  skipped: SkippedProvider[];
}

/**
 * The first provider of the route not yet tried for this verification on
 * this channel. Providers the route says to skip (an open breaker) are passed
 * over and named, unless they were tried already. A caller's resend
 * (`restartRound`) may go round again once every provider was tried,
 * preferring ones that did not refuse.
 */
export function planStep(route: readonly RouteChoice[], attempts: readonly Attempt[], channel: Channel, restartRound: boolean): PlannedStep {
  const onChannel = attempts.filter((a) => a.channel === channel);
  const tried = new Set(onChannel.map((a) => a.provider));
  const usable = route.filter((choice) => choice.skipWhy === undefined);
  const skipped: SkippedProvider[] = [];
  for (const choice of route) {
    if (choice.skipWhy !== undefined && !tried.has(choice.provider)) skipped.push({ provider: choice.provider, why: choice.skipWhy });
  }
  const untried = usable.find((choice) => !tried.has(choice.provider))?.provider;
  if (untried !== undefined || !restartRound) return { provider: untried, skipped };
  const refused = new Set(onChannel.filter((a) => a.status === "rejected").map((a) => a.provider));
  return { provider: (usable.find((choice) => !refused.has(choice.provider)) ?? usable[0])?.provider, skipped };
}
