import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from verify.v1 import verify_pb2 as _verify_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BreakerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BREAKER_STATE_UNSPECIFIED: _ClassVar[BreakerState]
    BREAKER_STATE_CLOSED: _ClassVar[BreakerState]
    BREAKER_STATE_OPEN: _ClassVar[BreakerState]
    BREAKER_STATE_HALF_OPEN: _ClassVar[BreakerState]

class RoutingStrategy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROUTING_STRATEGY_UNSPECIFIED: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_STATIC: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_SCORE: _ClassVar[RoutingStrategy]
    ROUTING_STRATEGY_COST: _ClassVar[RoutingStrategy]

class FraudMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FRAUD_MODE_UNSPECIFIED: _ClassVar[FraudMode]
    FRAUD_MODE_ENFORCE: _ClassVar[FraudMode]
    FRAUD_MODE_MONITOR: _ClassVar[FraudMode]
    FRAUD_MODE_OFF: _ClassVar[FraudMode]

class GuardDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GUARD_DECISION_UNSPECIFIED: _ClassVar[GuardDecision]
    GUARD_DECISION_ALLOW: _ClassVar[GuardDecision]
    GUARD_DECISION_BLOCK: _ClassVar[GuardDecision]

class BlockScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLOCK_SCOPE_UNSPECIFIED: _ClassVar[BlockScope]
    BLOCK_SCOPE_PREFIX: _ClassVar[BlockScope]
    BLOCK_SCOPE_COUNTRY: _ClassVar[BlockScope]
BREAKER_STATE_UNSPECIFIED: BreakerState
BREAKER_STATE_CLOSED: BreakerState
BREAKER_STATE_OPEN: BreakerState
BREAKER_STATE_HALF_OPEN: BreakerState
ROUTING_STRATEGY_UNSPECIFIED: RoutingStrategy
ROUTING_STRATEGY_STATIC: RoutingStrategy
ROUTING_STRATEGY_SCORE: RoutingStrategy
ROUTING_STRATEGY_COST: RoutingStrategy
FRAUD_MODE_UNSPECIFIED: FraudMode
FRAUD_MODE_ENFORCE: FraudMode
FRAUD_MODE_MONITOR: FraudMode
FRAUD_MODE_OFF: FraudMode
GUARD_DECISION_UNSPECIFIED: GuardDecision
GUARD_DECISION_ALLOW: GuardDecision
GUARD_DECISION_BLOCK: GuardDecision
BLOCK_SCOPE_UNSPECIFIED: BlockScope
BLOCK_SCOPE_PREFIX: BlockScope
BLOCK_SCOPE_COUNTRY: BlockScope

class ListProvidersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListProvidersResponse(_message.Message):
    __slots__ = ("providers",)
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[ProviderInfo]
    def __init__(self, providers: _Optional[_Iterable[_Union[ProviderInfo, _Mapping]]] = ...) -> None: ...

class ProviderInfo(_message.Message):
    __slots__ = ("name", "type", "channels", "breakers", "stats", "cost")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    BREAKERS_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: str
    channels: _containers.RepeatedScalarFieldContainer[_verify_pb2.Channel]
    breakers: _containers.RepeatedCompositeFieldContainer[ChannelBreaker]
    stats: _containers.RepeatedCompositeFieldContainer[ProviderStats]
    cost: float
    def __init__(self, name: _Optional[str] = ..., type: _Optional[str] = ..., channels: _Optional[_Iterable[_Union[_verify_pb2.Channel, str]]] = ..., breakers: _Optional[_Iterable[_Union[ChannelBreaker, _Mapping]]] = ..., stats: _Optional[_Iterable[_Union[ProviderStats, _Mapping]]] = ..., cost: _Optional[float] = ...) -> None: ...

class ChannelBreaker(_message.Message):
    __slots__ = ("channel", "state")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    channel: _verify_pb2.Channel
    state: BreakerState
    def __init__(self, channel: _Optional[_Union[_verify_pb2.Channel, str]] = ..., state: _Optional[_Union[BreakerState, str]] = ...) -> None: ...

class ProviderStats(_message.Message):
    __slots__ = ("country", "channel", "accepted", "rejected", "delivered", "undelivered", "verified", "delivery_rate", "median_time_to_delivery", "completion_rate", "acceptance_rate", "spend", "cost_per_success", "score", "demoted", "breaker_opens", "history")
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    UNDELIVERED_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_RATE_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_TIME_TO_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_RATE_FIELD_NUMBER: _ClassVar[int]
    ACCEPTANCE_RATE_FIELD_NUMBER: _ClassVar[int]
    SPEND_FIELD_NUMBER: _ClassVar[int]
    COST_PER_SUCCESS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DEMOTED_FIELD_NUMBER: _ClassVar[int]
    BREAKER_OPENS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    country: str
    channel: _verify_pb2.Channel
    accepted: int
    rejected: int
    delivered: int
    undelivered: int
    verified: int
    delivery_rate: float
    median_time_to_delivery: _duration_pb2.Duration
    completion_rate: float
    acceptance_rate: float
    spend: float
    cost_per_success: float
    score: float
    demoted: bool
    breaker_opens: int
    history: _containers.RepeatedCompositeFieldContainer[StatsPoint]
    def __init__(self, country: _Optional[str] = ..., channel: _Optional[_Union[_verify_pb2.Channel, str]] = ..., accepted: _Optional[int] = ..., rejected: _Optional[int] = ..., delivered: _Optional[int] = ..., undelivered: _Optional[int] = ..., verified: _Optional[int] = ..., delivery_rate: _Optional[float] = ..., median_time_to_delivery: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., completion_rate: _Optional[float] = ..., acceptance_rate: _Optional[float] = ..., spend: _Optional[float] = ..., cost_per_success: _Optional[float] = ..., score: _Optional[float] = ..., demoted: _Optional[bool] = ..., breaker_opens: _Optional[int] = ..., history: _Optional[_Iterable[_Union[StatsPoint, _Mapping]]] = ...) -> None: ...

class StatsPoint(_message.Message):
    __slots__ = ("bucket_start", "sends", "delivery_rate", "score")
    BUCKET_START_FIELD_NUMBER: _ClassVar[int]
    SENDS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_RATE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    bucket_start: _timestamp_pb2.Timestamp
    sends: int
    delivery_rate: float
    score: float
    def __init__(self, bucket_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sends: _Optional[int] = ..., delivery_rate: _Optional[float] = ..., score: _Optional[float] = ...) -> None: ...

class ExplainRouteRequest(_message.Message):
    __slots__ = ("phone_number", "default_country", "channel")
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    phone_number: str
    default_country: str
    channel: _verify_pb2.Channel
    def __init__(self, phone_number: _Optional[str] = ..., default_country: _Optional[str] = ..., channel: _Optional[_Union[_verify_pb2.Channel, str]] = ...) -> None: ...

class ExplainRouteResponse(_message.Message):
    __slots__ = ("phone_number", "country", "channel", "strategy", "steps")
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    phone_number: str
    country: str
    channel: _verify_pb2.Channel
    strategy: RoutingStrategy
    steps: _containers.RepeatedCompositeFieldContainer[RouteStep]
    def __init__(self, phone_number: _Optional[str] = ..., country: _Optional[str] = ..., channel: _Optional[_Union[_verify_pb2.Channel, str]] = ..., strategy: _Optional[_Union[RoutingStrategy, str]] = ..., steps: _Optional[_Iterable[_Union[RouteStep, _Mapping]]] = ...) -> None: ...

class RouteStep(_message.Message):
    __slots__ = ("provider", "position", "table_position", "score", "demoted", "breaker_state", "exploration", "skipped", "reason")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    TABLE_POSITION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DEMOTED_FIELD_NUMBER: _ClassVar[int]
    BREAKER_STATE_FIELD_NUMBER: _ClassVar[int]
    EXPLORATION_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    provider: str
    position: int
    table_position: int
    score: float
    demoted: bool
    breaker_state: BreakerState
    exploration: bool
    skipped: bool
    reason: str
    def __init__(self, provider: _Optional[str] = ..., position: _Optional[int] = ..., table_position: _Optional[int] = ..., score: _Optional[float] = ..., demoted: _Optional[bool] = ..., breaker_state: _Optional[_Union[BreakerState, str]] = ..., exploration: _Optional[bool] = ..., skipped: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class ExplainRiskRequest(_message.Message):
    __slots__ = ("phone_number", "default_country", "channel", "client_ip")
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    phone_number: str
    default_country: str
    channel: _verify_pb2.Channel
    client_ip: str
    def __init__(self, phone_number: _Optional[str] = ..., default_country: _Optional[str] = ..., channel: _Optional[_Union[_verify_pb2.Channel, str]] = ..., client_ip: _Optional[str] = ...) -> None: ...

class ExplainRiskResponse(_message.Message):
    __slots__ = ("phone_number", "country", "channel", "mode", "allowed", "number_type", "prefix", "allow_listed", "test_number", "verdicts", "allowed_channels", "client_ip")
    PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    NUMBER_TYPE_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    ALLOW_LISTED_FIELD_NUMBER: _ClassVar[int]
    TEST_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    phone_number: str
    country: str
    channel: _verify_pb2.Channel
    mode: FraudMode
    allowed: bool
    number_type: str
    prefix: str
    allow_listed: bool
    test_number: bool
    verdicts: _containers.RepeatedCompositeFieldContainer[GuardVerdict]
    allowed_channels: _containers.RepeatedScalarFieldContainer[_verify_pb2.Channel]
    client_ip: str
    def __init__(self, phone_number: _Optional[str] = ..., country: _Optional[str] = ..., channel: _Optional[_Union[_verify_pb2.Channel, str]] = ..., mode: _Optional[_Union[FraudMode, str]] = ..., allowed: _Optional[bool] = ..., number_type: _Optional[str] = ..., prefix: _Optional[str] = ..., allow_listed: _Optional[bool] = ..., test_number: _Optional[bool] = ..., verdicts: _Optional[_Iterable[_Union[GuardVerdict, _Mapping]]] = ..., allowed_channels: _Optional[_Iterable[_Union[_verify_pb2.Channel, str]]] = ..., client_ip: _Optional[str] = ...) -> None: ...

class GuardVerdict(_message.Message):
    __slots__ = ("guard", "decision", "reason", "figures", "explanation")
    class FiguresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    GUARD_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    guard: str
    decision: GuardDecision
    reason: str
    figures: _containers.ScalarMap[str, str]
    explanation: str
    def __init__(self, guard: _Optional[str] = ..., decision: _Optional[_Union[GuardDecision, str]] = ..., reason: _Optional[str] = ..., figures: _Optional[_Mapping[str, str]] = ..., explanation: _Optional[str] = ...) -> None: ...

class ListBlocksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListBlocksResponse(_message.Message):
    __slots__ = ("blocks",)
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    blocks: _containers.RepeatedCompositeFieldContainer[Block]
    def __init__(self, blocks: _Optional[_Iterable[_Union[Block, _Mapping]]] = ...) -> None: ...

class Block(_message.Message):
    __slots__ = ("scope", "key", "country", "reason", "figures", "since", "until", "level")
    class FiguresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FIGURES_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    scope: BlockScope
    key: str
    country: str
    reason: str
    figures: _containers.ScalarMap[str, str]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    level: int
    def __init__(self, scope: _Optional[_Union[BlockScope, str]] = ..., key: _Optional[str] = ..., country: _Optional[str] = ..., reason: _Optional[str] = ..., figures: _Optional[_Mapping[str, str]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[int] = ...) -> None: ...

class UnblockRequest(_message.Message):
    __slots__ = ("scope", "key")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    scope: BlockScope
    key: str
    def __init__(self, scope: _Optional[_Union[BlockScope, str]] = ..., key: _Optional[str] = ...) -> None: ...

class UnblockResponse(_message.Message):
    __slots__ = ("block",)
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    block: Block
    def __init__(self, block: _Optional[_Union[Block, _Mapping]] = ...) -> None: ...

class ListVerificationsRequest(_message.Message):
    __slots__ = ("statuses", "country", "provider", "created_after", "created_before", "page_size", "page_token")
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[_verify_pb2.VerificationStatus]
    country: str
    provider: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    page_size: int
    page_token: str
    def __init__(self, statuses: _Optional[_Iterable[_Union[_verify_pb2.VerificationStatus, str]]] = ..., country: _Optional[str] = ..., provider: _Optional[str] = ..., created_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListVerificationsResponse(_message.Message):
    __slots__ = ("verifications", "next_page_token")
    VERIFICATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    verifications: _containers.RepeatedCompositeFieldContainer[_verify_pb2.Verification]
    next_page_token: str
    def __init__(self, verifications: _Optional[_Iterable[_Union[_verify_pb2.Verification, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchProvidersRequest(_message.Message):
    __slots__ = ("interval",)
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    interval: _duration_pb2.Duration
    def __init__(self, interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WatchProvidersResponse(_message.Message):
    __slots__ = ("providers", "at")
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    providers: _containers.RepeatedCompositeFieldContainer[ProviderInfo]
    at: _timestamp_pb2.Timestamp
    def __init__(self, providers: _Optional[_Iterable[_Union[ProviderInfo, _Mapping]]] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
