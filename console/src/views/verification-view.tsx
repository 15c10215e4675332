/**
 * One verification's timeline: its attempts in order (provider, channel,
 * status, started, submitted and delivered times, and why each was made),
 * and the events seen since the page was opened; both change live through
 * Watch, with no reload.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { ComponentChild } from "preact";
import { type Attempt, AttemptStatus, EventType, type Verification, type VerificationEvent } from "../../../gen/verify/v1/verify_pb.js";
import { AttemptBadge, Badge, StatusBadge, type Tone } from "../components/badge.js";
import { ErrorNote } from "../components/notice.js";
import { channelName, eventName, isoOf, maskPhone, NONE, timeText } from "../format.js";
import { type LiveVerification, useLiveVerification } from "../live-verification.js";

export function VerificationView(props: { id: string }) {
  const live = useLiveVerification(props.id);
  const { verification } = live;
  return (
    <>
      <p>
        <a href="#/verifications">← All verifications</a>
      </p>
      <h1>Verification {props.id}</h1>
      <StreamState live={live} />
      {live.error && <ErrorNote>{live.error}</ErrorNote>}
      {verification && <Summary verification={verification} />}
      {verification && <Timeline verification={verification} events={live.events} />}
      {verification && <EventLog events={live.events} />}
    </>
  );
}

const STREAM_WORDS: Record<LiveVerification["stream"], [Tone, string, string]> = {
  connecting: ["neutral", "connecting", "reading the verification"],
  live: ["good", "live", "changes appear here as they happen"],
  reconnecting: ["warn", "reconnecting", "the live stream was cut; resuming where it stopped"],
  finished: ["neutral", "finished", "the verification is over: nothing more will change"],
  failed: ["bad", "not available", "see below"],
};

function StreamState(props: { live: LiveVerification }) {
  const [tone, word, sentence] = STREAM_WORDS[props.live.stream];
  return (
    <p class="freshness" data-stream={props.live.stream}>
      <Badge tone={tone}>{word}</Badge> {sentence}.
    </p>
  );
}

function Summary(props: { verification: Verification }) {
  const v = props.verification;
  const rows: [string, ComponentChild][] = [
    ["Phone number", maskPhone(v.phoneNumber)],
    ["Country", v.country],
    ["Channel", channelName(v.channel)],
    ["Status", <StatusBadge key="status" status={v.status} />],
    ["Created", <When key="created" at={v.createdAt} />],
    ["Expires", <When key="expires" at={v.expiresAt} />],
    ["Verified", <When key="verified" at={v.verifiedAt} />],
    ["Checks left", String(v.checkAttemptsRemaining)],
    ["Offered instead", v.fallbackChannels.map(channelName).join(", ") || NONE],
  ];
  return (
    <dl class="summary" data-status={v.status}>
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function When(props: { at: Timestamp | undefined }) {
  return props.at ? <time dateTime={isoOf(props.at)}>{timeText(props.at)}</time> : <span>{NONE}</span>;
}

function Timeline(props: { verification: Verification; events: VerificationEvent[] }) {
  const { attempts } = props.verification;
  return (
    <section aria-labelledby="attempts-heading">
      <h2 id="attempts-heading">Attempts</h2>
      {attempts.length === 0 ? (
        <p>No attempt yet.</p>
      ) : (
        <ol class="timeline">
          {attempts.map((attempt, index) => (
            <AttemptItem key={attempt.number} attempt={attempt} previous={attempts[index - 1]} events={props.events} />
          ))}
        </ol>
      )}
    </section>
  );
}

function AttemptItem(props: { attempt: Attempt; previous?: Attempt; events: VerificationEvent[] }) {
  const { attempt } = props;
  return (
    <li class="attempt" data-attempt={attempt.number} data-provider={attempt.provider} data-status={AttemptStatus[attempt.status]}>
      <h3>
        Attempt {attempt.number}: {attempt.provider} <span class="muted">({channelName(attempt.channel)})</span> <AttemptBadge status={attempt.status} />
      </h3>
      <p class="reason">Why: {whyMade(attempt, props.previous, props.events)}</p>
      <dl class="attempt-times">
        <div>
          <dt>Started</dt>
          <dd>
            <When at={attempt.startedAt} />
          </dd>
        </div>
        <div>
          <dt>Submitted</dt>
          <dd>
            <When at={attempt.submittedAt} />
          </dd>
        </div>
        <div>
          <dt>Delivered</dt>
          <dd>
            <When at={attempt.deliveredAt} />
          </dd>
        </div>
      </dl>
      {attempt.error && <p class="attempt-error">Error: {attempt.error}</p>}
    </li>
  );
}

/**
 * Why an attempt was made: the failover event's reason when this page saw it;
 * otherwise read off the attempt before (Get and the Watch snapshot carry no
 * reason per attempt).
 */
function whyMade(attempt: Attempt, previous: Attempt | undefined, events: VerificationEvent[]): string {
  const failover = events.find((event) => event.type === EventType.FAILOVER && event.attemptNumber === attempt.number && event.reason);
  if (failover) return `failover from the attempt before: ${failover.reason}`;
  if (!previous) return "the first send";
  if (previous.channel !== attempt.channel) return `resent on ${channelName(attempt.channel)}`;
  switch (previous.status) {
    case AttemptStatus.REJECTED:
      return `failover: ${previous.provider} rejected it (${previous.error || "rejected"})`;
    case AttemptStatus.TIMED_OUT:
      return `failover: no receipt from ${previous.provider} within the delivery window (no_receipt)`;
    case AttemptStatus.UNDELIVERED:
      return `failover: ${previous.provider} reported it undelivered`;
    default:
      return "resent (Resend, or a Start on the same number)";
  }
}

function EventLog(props: { events: VerificationEvent[] }) {
  return (
    <section aria-labelledby="events-heading">
      <h2 id="events-heading">Events since this page was opened</h2>
      {props.events.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <ol class="events" aria-live="polite">
          {props.events.map((event) => (
            <li key={String(event.sequence)} data-event={eventName(event.type)}>
              <When at={event.at} /> <strong>{eventName(event.type)}</strong>
              {event.provider && ` · ${event.provider}`}
              {event.reason && ` · ${event.reason}`}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
