import type { Config } from "../config/schema.js";
import { FraudGuard } from "../fraud/fraud-guard.js";
import { fraudSettings } from "../fraud/settings.js";
import type { FraudState, FraudWindows } from "../fraud/state.js";
import { CONVERSION_BUCKETS, VELOCITY_BUCKETS, windowShape } from "../fraud/window.js";
import type { Clock, EventObserver, Logger } from "../verification/ports.js";

/**
 * The fraud guard over the store's shared state (src/fraud). It is built
 * whatever the mode, so ExplainRisk and ListBlocks answer; with `mode: off`
 * the service is not handed it and no Start pays for it.
 */
export function buildFraudGuard(
  config: Config,
  deps: {
    fraudState: (windows: FraudWindows) => FraudState;
    clock: Clock;
    logger: Logger;
    onDecision?: (guard: string, decision: string, country: string) => void;
  },
): FraudGuard {
  const settings = fraudSettings(config.fraud);
  const windows: FraudWindows = {
    velocity: windowShape(settings.velocity.windowMs, VELOCITY_BUCKETS),
    conversion: windowShape(settings.conversion.windowMs, CONVERSION_BUCKETS),
  };
  return new FraudGuard({ settings, state: deps.fraudState(windows), clock: deps.clock, logger: deps.logger, onDecision: deps.onDecision });
}

/**
 * `test_numbers` as the service reads them, with a warning listing those in
 * force: a test number forgotten in production config is a number anyone
 * can verify with a known code.
 */
export function testNumbersOf(config: Config, logger: Logger): ReadonlyMap<string, string> {
  const numbers = new Map(config.test_numbers.map((entry) => [entry.number, entry.code]));
  if (numbers.size > 0) {
    logger.warn(
      { testNumbers: [...numbers.keys()] },
      `test numbers in force (${numbers.size}): ${[...numbers.keys()].join(", ")}; they approve a fixed code and are never sent to, limited or guarded`,
    );
  }
  return numbers;
}

/** The observers (scorer, metrics, the guard's verified signal) never see a test number's events: they never touched a provider. */
export function withoutTestNumbers(observer: EventObserver | undefined, testNumbers: ReadonlyMap<string, string>): EventObserver | undefined {
  if (!observer || testNumbers.size === 0) return observer;
  return (events) => {
    const real = events.filter((event) => !testNumbers.has(event.verification.phoneNumber));
    if (real.length > 0) observer(real);
  };
}
