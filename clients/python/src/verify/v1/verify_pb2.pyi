import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_SMS: _ClassVar[Channel]
    CHANNEL_VOICE: _ClassVar[Channel]
    CHANNEL_WHATSAPP: _ClassVar[Channel]

class VerificationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERIFICATION_STATUS_UNSPECIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_PENDING: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_SUBMITTED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_DELIVERED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_VERIFIED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_FAILED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_EXPIRED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_LOCKED: _ClassVar[VerificationStatus]
    VERIFICATION_STATUS_CANCELED: _ClassVar[VerificationStatus]

class AttemptStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ATTEMPT_STATUS_UNSPECIFIED: _ClassVar[AttemptStatus]
    ATTEMPT_STATUS_SENDING: _ClassVar[AttemptStatus]
    ATTEMPT_STATUS_REJECTED: _ClassVar[AttemptStatus]
    ATTEMPT_STATUS_SUBMITTED: _ClassVar[AttemptStatus]
    ATTEMPT_STATUS_DELIVERED: _ClassVar[AttemptStatus]
    ATTEMPT_STATUS_UNDELIVERED: _ClassVar[AttemptStatus]
    ATTEMPT_STATUS_TIMED_OUT: _ClassVar[AttemptStatus]

class EventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_TYPE_UNSPECIFIED: _ClassVar[EventType]
    EVENT_TYPE_SNAPSHOT: _ClassVar[EventType]
    EVENT_TYPE_SUBMITTED: _ClassVar[EventType]
    EVENT_TYPE_REJECTED: _ClassVar[EventType]
    EVENT_TYPE_DELIVERED: _ClassVar[EventType]
    EVENT_TYPE_UNDELIVERED: _ClassVar[EventType]
    EVENT_TYPE_FAILOVER: _ClassVar[EventType]
    EVENT_TYPE_FALLBACK_AVAILABLE: _ClassVar[EventType]
    EVENT_TYPE_CHECK_FAILED: _ClassVar[EventType]
    EVENT_TYPE_VERIFIED: _ClassVar[EventType]
    EVENT_TYPE_EXPIRED: _ClassVar[EventType]
    EVENT_TYPE_LOCKED: _ClassVar[EventType]
    EVENT_TYPE_CANCELED: _ClassVar[EventType]
    EVENT_TYPE_FAILED: _ClassVar[EventType]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_SMS: Channel
CHANNEL_VOICE: Channel
CHANNEL_WHATSAPP: Channel
VERIFICATION_STATUS_UNSPECIFIED: VerificationStatus
VERIFICATION_STATUS_PENDING: VerificationStatus
VERIFICATION_STATUS_SUBMITTED: VerificationStatus
VERIFICATION_STATUS_DELIVERED: VerificationStatus
VERIFICATION_STATUS_VERIFIED: VerificationStatus
VERIFICATION_STATUS_FAILED: VerificationStatus
VERIFICATION_STATUS_EXPIRED: VerificationStatus
VERIFICATION_STATUS_LOCKED: VerificationStatus
VERIFICATION_STATUS_CANCELED: VerificationStatus
ATTEMPT_STATUS_UNSPECIFIED: AttemptStatus
ATTEMPT_STATUS_SENDING: AttemptStatus
ATTEMPT_STATUS_REJECTED: AttemptStatus
ATTEMPT_STATUS_SUBMITTED: AttemptStatus
ATTEMPT_STATUS_DELIVERED: AttemptStatus
ATTEMPT_STATUS_UNDELIVERED: AttemptStatus
ATTEMPT_STATUS_TIMED_OUT: AttemptStatus
EVENT_TYPE_UNSPECIFIED: EventType
EVENT_TYPE_SNAPSHOT: EventType
EVENT_TYPE_SUBMITTED: EventType
EVENT_TYPE_REJECTED: EventType
EVENT_TYPE_DELIVERED: EventType
EVENT_TYPE_UNDELIVERED: EventType
EVENT_TYPE_FAILOVER: EventType
EVENT_TYPE_FALLBACK_AVAILABLE: EventType
EVENT_TYPE_CHECK_FAILED: EventType
EVENT_TYPE_VERIFIED: EventType
EVENT_TYPE_EXPIRED: EventType
EVENT_TYPE_LOCKED: EventType
EVENT_TYPE_CANCELED: EventType
EVENT_TYPE_FAILED: EventType

class Attempt(_message.Message):
    __slots__ = ("number", "provider", "channel", "status", "error", "idempotency_key", "provider_message_id", "submitted_at", "delivered_at", "started_at")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    number: int
    provider: str
    channel: Channel
    status: AttemptStatus
    error: str
    idempotency_key: str
    provider_message_id: str
    submitted_at: _timestamp_pb2.Timestamp
    delivered_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    def __init__(self, number: _Optional[int] = ..., provider: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., status: _Optional[_Union[AttemptStatus, str]] = ..., error: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., provider_message_id: _Optional[str] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Verification(_message.Message):
    __slots__ = ("id", "phone_number", "country", "channel", "status", "attempts", "created_at", "expires_at", "check_attempts_remaining", "fallback_channels", "metadata", "locale", "code_length", "updated_at", "verified_at")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CHECK_ATTEMPTS_REMAINING_FIELD_NUMBER: _ClassVar[int]
    FALLBACK_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    CODE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    phone_number: str
    country: str
    channel: Channel
    status: VerificationStatus
    attempts: _containers.RepeatedCompositeFieldContainer[Attempt]
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    check_attempts_remaining: int
    fallback_channels: _containers.RepeatedScalarFieldContainer[Channel]
    metadata: _containers.ScalarMap[str, str]
    locale: str
    code_length: int
    updated_at: _timestamp_pb2.Timestamp
    verified_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., phone_number: _Optional[str] = ..., country: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., status: _Optional[_Union[VerificationStatus, str]] = ..., attempts: _Optional[_Iterable[_Union[Attempt, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., check_attempts_remaining: _Optional[int] = ..., fallback_channels: _Optional[_Iterable[_Union[Channel, str]]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., locale: _Optional[str] = ..., code_length: _Optional[int] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., verified_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StartRequest(_message.Message):
    __slots__ = ("phone_number", "default_country", "channel", "idempotency_key", "client_ip", "locale", "code_length", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    CODE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    phone_number: str
    default_country: str
    channel: Channel
    idempotency_key: str
    client_ip: str
    locale: str
    code_length: int
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, phone_number: _Optional[str] = ..., default_country: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., idempotency_key: _Optional[str] = ..., client_ip: _Optional[str] = ..., locale: _Optional[str] = ..., code_length: _Optional[int] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class StartResponse(_message.Message):
    __slots__ = ("verification",)
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    verification: Verification
    def __init__(self, verification: _Optional[_Union[Verification, _Mapping]] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ("verification_id", "code", "client_ip")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    code: str
    client_ip: str
    def __init__(self, verification_id: _Optional[str] = ..., code: _Optional[str] = ..., client_ip: _Optional[str] = ...) -> None: ...

class CheckResponse(_message.Message):
    __slots__ = ("approved", "verification")
    APPROVED_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    approved: bool
    verification: Verification
    def __init__(self, approved: _Optional[bool] = ..., verification: _Optional[_Union[Verification, _Mapping]] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("verification_id", "after_sequence")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    after_sequence: int
    def __init__(self, verification_id: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...

class VerificationEvent(_message.Message):
    __slots__ = ("verification_id", "sequence", "type", "verification", "provider", "reason", "at", "attempt_number")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    sequence: int
    type: EventType
    verification: Verification
    provider: str
    reason: str
    at: _timestamp_pb2.Timestamp
    attempt_number: int
    def __init__(self, verification_id: _Optional[str] = ..., sequence: _Optional[int] = ..., type: _Optional[_Union[EventType, str]] = ..., verification: _Optional[_Union[Verification, _Mapping]] = ..., provider: _Optional[str] = ..., reason: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt_number: _Optional[int] = ...) -> None: ...

class WatchResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: VerificationEvent
    def __init__(self, event: _Optional[_Union[VerificationEvent, _Mapping]] = ...) -> None: ...

class ResendRequest(_message.Message):
    __slots__ = ("verification_id", "channel", "client_ip")
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    channel: Channel
    client_ip: str
    def __init__(self, verification_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., client_ip: _Optional[str] = ...) -> None: ...

class ResendResponse(_message.Message):
    __slots__ = ("verification",)
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    verification: Verification
    def __init__(self, verification: _Optional[_Union[Verification, _Mapping]] = ...) -> None: ...

class CancelRequest(_message.Message):
    __slots__ = ("verification_id",)
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    def __init__(self, verification_id: _Optional[str] = ...) -> None: ...

class CancelResponse(_message.Message):
    __slots__ = ("verification",)
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    verification: Verification
    def __init__(self, verification: _Optional[_Union[Verification, _Mapping]] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("verification_id",)
    VERIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    verification_id: str
    def __init__(self, verification_id: _Optional[str] = ...) -> None: ...

class GetResponse(_message.Message):
    __slots__ = ("verification",)
    VERIFICATION_FIELD_NUMBER: _ClassVar[int]
    verification: Verification
    def __init__(self, verification: _Optional[_Union[Verification, _Mapping]] = ...) -> None: ...
