/**
 * A state as a word with an icon beside it; the colour only repeats what both
 * say, so nothing is told by colour alone.
 */
import type { ComponentChildren } from "preact";
import { BreakerState, GuardDecision } from "../../../gen/verify/admin/v1/admin_pb.js";
import { AttemptStatus, VerificationStatus } from "../../../gen/verify/v1/verify_pb.js";
import { attemptStatusName, breakerName, decisionName, statusName } from "../format.js";

export type Tone = "good" | "bad" | "warn" | "neutral";

const ICONS: Record<Tone, string> = { good: "✓", bad: "✕", warn: "!", neutral: "•" };

export function Badge(props: { tone: Tone; children: ComponentChildren }) {
  return (
    <span class={`badge badge-${props.tone}`}>
      <span class="badge-icon" aria-hidden="true">
        {ICONS[props.tone]}
      </span>
      {props.children}
    </span>
  );
}

const BREAKER_TONES: Partial<Record<BreakerState, Tone>> = {
  [BreakerState.CLOSED]: "good",
  [BreakerState.OPEN]: "bad",
  [BreakerState.HALF_OPEN]: "warn",
};

export function BreakerBadge(props: { state: BreakerState }) {
  return <Badge tone={BREAKER_TONES[props.state] ?? "neutral"}>{`breaker ${breakerName(props.state)}`}</Badge>;
}

const ATTEMPT_TONES: Partial<Record<AttemptStatus, Tone>> = {
  [AttemptStatus.DELIVERED]: "good",
  [AttemptStatus.REJECTED]: "bad",
  [AttemptStatus.UNDELIVERED]: "bad",
  [AttemptStatus.TIMED_OUT]: "warn",
};

export function AttemptBadge(props: { status: AttemptStatus }) {
  return <Badge tone={ATTEMPT_TONES[props.status] ?? "neutral"}>{attemptStatusName(props.status)}</Badge>;
}

const STATUS_TONES: Partial<Record<VerificationStatus, Tone>> = {
  [VerificationStatus.VERIFIED]: "good",
  [VerificationStatus.DELIVERED]: "good",
  [VerificationStatus.FAILED]: "bad",
  [VerificationStatus.LOCKED]: "bad",
  [VerificationStatus.EXPIRED]: "warn",
  [VerificationStatus.CANCELED]: "warn",
};

export function StatusBadge(props: { status: VerificationStatus }) {
  return <Badge tone={STATUS_TONES[props.status] ?? "neutral"}>{statusName(props.status)}</Badge>;
}

export function DecisionBadge(props: { decision: GuardDecision }) {
  const tone: Tone = props.decision === GuardDecision.ALLOW ? "good" : props.decision === GuardDecision.BLOCK ? "bad" : "neutral";
  return <Badge tone={tone}>{decisionName(props.decision)}</Badge>;
}
