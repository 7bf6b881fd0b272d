"""The public adapter SDK: everything a platform adapter imports, in one place.

``from prima_cli.platforms import HttpPlatformAdapter, ConfigField, ...`` reads the same
names (:mod:`prima_cli.platforms` forwards to this module without importing it until a name
is used, so that ``prima --help`` stays light). Names here follow
:data:`~prima_cli.platforms.versioning.SDK_VERSION`: removing or changing one is a major
version; adding one is a minor version. The conformance kit for adapters is
:mod:`prima_cli.testing`.
"""

from __future__ import annotations

from prima_cli.errors import (
    ConfigError,
    InvalidInput,
    PlatformAmbiguousOutcome,
    PlatformAuthError,
    PlatformError,
    PlatformMalformedResponse,
    PlatformNoAvailability,
    PlatformNotFound,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
    PlatformUnsupported,
    PrimaError,
)
from prima_cli.platforms import http
from prima_cli.platforms.contract import (
    AuthCheck,
    CancelReason,
    CancelResult,
    ConfigField,
    Connection,
    DayAvailability,
    PlatformAdapter,
    ReservationRecord,
    ReservationRequest,
    ReservationResult,
    ReservationStatus,
    Slot,
)
from prima_cli.platforms.http import (
    DEFAULT_RETRY,
    RetryPolicy,
    build_client,
    decode_json,
    error_message,
    excerpt,
    message_from,
    raise_for_status,
    send,
)
from prima_cli.platforms.http_adapter import HttpPlatformAdapter
from prima_cli.platforms.messages import (
    DEFAULT_NO_AVAILABILITY,
    ENGLISH_NO_AVAILABILITY,
    SPANISH_NO_AVAILABILITY,
    wordings,
)
from prima_cli.platforms.parsing import (
    normalise_phone,
    parse_hour,
    parse_hours,
    parse_int,
    parse_phone,
    require_party_size,
    require_whole_minute,
    segment,
    split_phone,
    venue_zone,
)
from prima_cli.platforms.versioning import (
    ENTRY_POINT_GROUP,
    LEGACY_ENTRY_POINT_GROUP,
    SDK_VERSION,
)
from prima_cli.redact import register as register_secret
from prima_cli.redact import scrub

__all__ = [
    "DEFAULT_NO_AVAILABILITY",
    "DEFAULT_RETRY",
    "ENGLISH_NO_AVAILABILITY",
    "ENTRY_POINT_GROUP",
    "LEGACY_ENTRY_POINT_GROUP",
    "SDK_VERSION",
    "SPANISH_NO_AVAILABILITY",
    "AuthCheck",
    "CancelReason",
    "CancelResult",
    "ConfigError",
    "ConfigField",
    "Connection",
    "DayAvailability",
    "HttpPlatformAdapter",
    "InvalidInput",
    "PlatformAdapter",
    "PlatformAmbiguousOutcome",
    "PlatformAuthError",
    "PlatformError",
    "PlatformMalformedResponse",
    "PlatformNoAvailability",
    "PlatformNotFound",
    "PlatformRateLimited",
    "PlatformRejected",
    "PlatformUnavailable",
    "PlatformUnsupported",
    "PrimaError",
    "ReservationRecord",
    "ReservationRequest",
    "ReservationResult",
    "ReservationStatus",
    "RetryPolicy",
    "Slot",
    "build_client",
    "decode_json",
    "error_message",
    "excerpt",
    "http",
    "message_from",
    "normalise_phone",
    "parse_hour",
    "parse_hours",
    "parse_int",
    "parse_phone",
    "raise_for_status",
    "register_secret",
    "require_party_size",
    "require_whole_minute",
    "scrub",
    "segment",
    "send",
    "split_phone",
    "venue_zone",
    "wordings",
]
