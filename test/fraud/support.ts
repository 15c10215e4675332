/** Settings and facts for the fraud unit suites: the defaults, with a test's changes. */
import { type FraudConfig, fraudSchema } from "../../src/fraud/config.js";
import type { NumberType, PhoneFacts } from "../../src/fraud/phone-facts.js";
import { type FraudSettings, fraudSettings } from "../../src/fraud/settings.js";

/** The `fraud` section parsed from `raw` (snake_case, durations as text), as the guards read it. */
export function settingsOf(raw: Record<string, unknown> = {}): FraudSettings {
  return fraudSettings(fraudSchema.parse(raw) as FraudConfig);
}

/** Facts with a fixed type, so no test depends on libphonenumber's ranges unless it means to. */
export function factsOf(phoneNumber: string, country: string, type?: NumberType, prefixStrip = 4): PhoneFacts {
  let asked = 0;
  return {
    phoneNumber,
    country,
    prefix: phoneNumber.slice(0, phoneNumber.length - prefixStrip),
    numberType() {
      asked++;
      return type;
    },
    get asked() {
      return asked;
    },
  } as PhoneFacts & { asked: number };
}

export const MINUTE = 60_000;
