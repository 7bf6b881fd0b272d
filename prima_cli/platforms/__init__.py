"""Booking platform adapters, the public adapter SDK and the registry (entry point groups).

An adapter imports what it needs from here (``from prima_cli.platforms import
HttpPlatformAdapter, ConfigField, Slot``): the contract base classes and value types, the
HTTP adapter base with retries and ambiguous-write handling, the typed errors and the HTTP
helpers, all versioned as :data:`SDK_VERSION` (see :mod:`prima_cli.platforms.versioning`).
The names come from :mod:`prima_cli.platforms.sdk` on first use, so that importing the
registry (shell completion, ``--help``) does not import httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from prima_cli.platforms.versioning import (
    ENTRY_POINT_GROUP,
    LEGACY_ENTRY_POINT_GROUP,
    SDK_VERSION,
)

if TYPE_CHECKING:
    from prima_cli.platforms.sdk import (
        DEFAULT_NO_AVAILABILITY,
        DEFAULT_RETRY,
        ENGLISH_NO_AVAILABILITY,
        SPANISH_NO_AVAILABILITY,
        AuthCheck,
        CancelReason,
        CancelResult,
        ConfigError,
        ConfigField,
        Connection,
        DayAvailability,
        HttpPlatformAdapter,
        InvalidInput,
        PlatformAdapter,
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
        ReservationRecord,
        ReservationRequest,
        ReservationResult,
        ReservationStatus,
        RetryPolicy,
        Slot,
        build_client,
        decode_json,
        error_message,
        excerpt,
        message_from,
        normalise_phone,
        parse_hour,
        parse_hours,
        parse_int,
        parse_phone,
        raise_for_status,
        register_secret,
        require_party_size,
        require_whole_minute,
        scrub,
        segment,
        send,
        split_phone,
        venue_zone,
        wordings,
    )

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


def __getattr__(name: str) -> Any:
    if name == "http":  # a submodule: importing it needs nothing else of the SDK
        return importlib.import_module("prima_cli.platforms.http")
    if name in __all__:
        value = getattr(importlib.import_module("prima_cli.platforms.sdk"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
