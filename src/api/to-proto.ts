import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type Attempt,
  AttemptSchema,
  AttemptStatus,
  Channel,
  EventType,
  type Verification,
  type VerificationEvent,
  VerificationEventSchema,
  VerificationSchema,
  VerificationStatus,
} from "../../gen/verify/v1/verify_pb.js";
import { describeError, describeEvent } from "../verification/describe.js";
import type * as domain from "../verification/model.js";

const CHANNEL_TO_PROTO: Record<domain.Channel, Channel> = {
  sms: Channel.SMS,
  voice: Channel.VOICE,
  whatsapp: Channel.WHATSAPP,
};

const STATUS_TO_PROTO: Record<domain.VerificationStatus, VerificationStatus> = {
  pending: VerificationStatus.PENDING,
  submitted: VerificationStatus.SUBMITTED,
  delivered: VerificationStatus.DELIVERED,
  verified: VerificationStatus.VERIFIED,
  failed: VerificationStatus.FAILED,
  expired: VerificationStatus.EXPIRED,
  locked: VerificationStatus.LOCKED,
  canceled: VerificationStatus.CANCELED,
};

const STATUS_FROM_PROTO: ReadonlyMap<VerificationStatus, domain.VerificationStatus> = new Map(
  Object.entries(STATUS_TO_PROTO).map(([status, proto]) => [proto, status as domain.VerificationStatus]),
);

/** undefined for UNSPECIFIED and numbers the enum does not name. */
export function statusFromProto(status: VerificationStatus): domain.VerificationStatus | undefined {
  return STATUS_FROM_PROTO.get(status);
}

const ATTEMPT_STATUS_TO_PROTO: Record<domain.AttemptStatus, AttemptStatus> = {
  sending: AttemptStatus.SENDING,
  rejected: AttemptStatus.REJECTED,
  submitted: AttemptStatus.SUBMITTED,
  delivered: AttemptStatus.DELIVERED,
  undelivered: AttemptStatus.UNDELIVERED,
  timed_out: AttemptStatus.TIMED_OUT,
};

const EVENT_TO_PROTO: Record<domain.EventType, EventType> = {
  snapshot: EventType.SNAPSHOT,
  submitted: EventType.SUBMITTED,
  rejected: EventType.REJECTED,
  delivered: EventType.DELIVERED,
  undelivered: EventType.UNDELIVERED,
  failover: EventType.FAILOVER,
  fallback_available: EventType.FALLBACK_AVAILABLE,
  check_failed: EventType.CHECK_FAILED,
  verified: EventType.VERIFIED,
  expired: EventType.EXPIRED,
  locked: EventType.LOCKED,
  canceled: EventType.CANCELED,
  failed: EventType.FAILED,
};

/** UNSPECIFIED means SMS, the cheapest and most familiar channel. */
export function channelFromProto(channel: Channel): domain.Channel | undefined {
  switch (channel) {
    case Channel.UNSPECIFIED:
    case Channel.SMS:
      return "sms";
    case Channel.VOICE:
      return "voice";
    case Channel.WHATSAPP:
      return "whatsapp";
    default:
      return undefined;
  }
}

export function channelToProto(channel: domain.Channel): Channel {
  return CHANNEL_TO_PROTO[channel];
}

const ms = (value: number | undefined) => (value === undefined ? undefined : timestampFromMs(value));

function attemptToProto(attempt: domain.Attempt): Attempt {
  return create(AttemptSchema, {
    number: attempt.number,
    provider: attempt.provider,
    channel: CHANNEL_TO_PROTO[attempt.channel],
    status: ATTEMPT_STATUS_TO_PROTO[attempt.status],
    error: attempt.error ? describeError(attempt.error) : "",
    idempotencyKey: attempt.idempotencyKey,
    providerMessageId: attempt.providerMessageId ?? "",
    startedAt: ms(attempt.startedAt),
    submittedAt: ms(attempt.submittedAt),
    deliveredAt: ms(attempt.deliveredAt),
  });
}

/** Only public fields: the code hash, the sealed code and leases never leave the process. */
export function verificationToProto(record: domain.VerificationRecord): Verification {
  return create(VerificationSchema, {
    id: record.id,
    phoneNumber: record.phoneNumber,
    country: record.country,
    channel: CHANNEL_TO_PROTO[record.channel],
    status: STATUS_TO_PROTO[record.status],
    attempts: record.attempts.map(attemptToProto),
    createdAt: ms(record.createdAt),
    updatedAt: ms(record.updatedAt),
    expiresAt: ms(record.expiresAt),
    verifiedAt: ms(record.verifiedAt),
    checkAttemptsRemaining: record.checkAttemptsRemaining,
    fallbackChannels: record.fallbackChannels.map((channel) => CHANNEL_TO_PROTO[channel]),
    metadata: record.metadata,
    locale: record.locale,
    codeLength: record.codeLength,
  });
}

export function eventToProto(event: domain.VerificationEvent): VerificationEvent {
  return create(VerificationEventSchema, {
    verificationId: event.verificationId,
    sequence: BigInt(event.sequence),
    type: EVENT_TO_PROTO[event.type],
    verification: verificationToProto(event.verification),
    provider: event.provider ?? "",
    reason: describeEvent(event),
    at: timestampFromMs(event.at),
    attemptNumber: event.attemptNumber ?? 0,
  });
}
