import { pino } from "pino";

export type AppLogger = pino.Logger;

/** Structured JSON logs. Codes are never logged; phone numbers only masked (see maskPhone). */
export function createLogger(level: string, destination?: pino.DestinationStream): AppLogger {
  return pino({ name: "verifyd", level, base: { service: "verifyd" } }, destination);
}

/** "+4915123456789" → "+49*******6789": enough to tell numbers apart in a log, not to dial one. */
export function maskPhone(e164: string): string {
  if (e164.length <= 7) return "*".repeat(e164.length);
  return `${e164.slice(0, 3)}${"*".repeat(e164.length - 7)}${e164.slice(-4)}`;
}
