/** Figures and enum values as the operator reads them. */
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { BlockScope, BreakerState, FraudMode, GuardDecision, RoutingStrategy } from "../../gen/verify/admin/v1/admin_pb.js";
import { AttemptStatus, Channel, EventType, VerificationStatus } from "../../gen/verify/v1/verify_pb.js";

/** "—" stands for "no figure": unset, or nothing to divide by. */
export const NONE = "—";

export function percent(rate: number | undefined): string {
  return rate === undefined || Number.isNaN(rate) ? NONE : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)} %`;
}

export function decimal(value: number | undefined, digits = 2): string {
  return value === undefined || Number.isNaN(value) ? NONE : value.toFixed(digits);
}

export function money(value: number | undefined): string {
  return value === undefined ? NONE : value.toFixed(4);
}

export function durationText(duration: Duration | undefined): string {
  if (!duration) return NONE;
  const ms = Number(duration.seconds) * 1000 + Math.round(duration.nanos / 1e6);
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

export function msOf(timestamp: Timestamp | undefined): number | undefined {
  return timestamp ? Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6) : undefined;
}

/** Local date and time to the second; the ISO form in UTC goes in the <time> element's datetime. */
export function timeText(timestamp: Timestamp | undefined): string {
  const ms = msOf(timestamp);
  if (ms === undefined) return NONE;
  const at = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
}

export function isoOf(timestamp: Timestamp | undefined): string | undefined {
  const ms = msOf(timestamp);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** An enum value as words: protobuf-es names them without their prefix (VerificationStatus.SUBMITTED → "submitted"). */
function words(enumObject: Record<number, string>, value: number): string {
  return (enumObject[value] ?? `unknown (${value})`).toLowerCase().replace(/_/g, " ");
}

const CHANNEL_NAMES: Record<number, string> = { [Channel.SMS]: "SMS", [Channel.VOICE]: "voice", [Channel.WHATSAPP]: "WhatsApp" };

export const channelName = (channel: Channel) => CHANNEL_NAMES[channel] ?? words(Channel, channel);
export const statusName = (status: VerificationStatus) => words(VerificationStatus, status);
export const attemptStatusName = (status: AttemptStatus) => words(AttemptStatus, status);
export const eventName = (type: EventType) => words(EventType, type);
export const breakerName = (state: BreakerState) => words(BreakerState, state);
export const strategyName = (strategy: RoutingStrategy) => words(RoutingStrategy, strategy);
export const modeName = (mode: FraudMode) => words(FraudMode, mode);
export const decisionName = (decision: GuardDecision) => words(GuardDecision, decision);
export const scopeName = (scope: BlockScope) => words(BlockScope, scope);

/**
 * A number masked for display, never showing more than ListVerifications'
 * masking does (+120******13): the timeline reads Get and Watch, which
 * answer the whole number. The server keeps the calling code and two digits
 * either side of the national number; without libphonenumber's tables the
 * console cannot tell where the calling code ends, so it keeps three digits
 * and the last two of a number of 11 digits or more (whose national part has
 * at least 8), and the first digit alone of a shorter one.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+/, "");
  if (!/^\d+$/.test(digits)) return phone;
  const [head, tail] = digits.length >= 11 ? [3, 2] : [1, 0];
  return `+${digits.slice(0, head)}${"*".repeat(digits.length - head - tail)}${digits.slice(digits.length - tail)}`;
}
