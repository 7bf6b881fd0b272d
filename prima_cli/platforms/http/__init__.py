"""The one HTTP layer every adapter uses: client factory, retries, error mapping, trace.

Part of the public adapter SDK (:mod:`prima_cli.platforms`). By job:

* :mod:`.client` -- ``build_client`` makes the shared ``httpx.AsyncClient`` (explicit
  timeouts, bounded pool, ``User-Agent: prima/<version>``);
* :mod:`.retry` -- ``send`` performs one logical request with retries; a write that may
  have reached the platform raises ``PlatformAmbiguousOutcome`` at once and is never retried;
* :mod:`.responses` -- ``raise_for_status`` maps the remaining HTTP errors to the typed
  ``Platform*`` errors, ``decode_json`` and ``error_message`` read bodies;
* :mod:`.trace` -- with ``verbose`` every exchange is logged to the ``prima.http`` logger
  on stderr, headers masked and URLs and bodies scrubbed of registered secrets.
"""

from __future__ import annotations

from prima_cli.platforms.http.client import USER_AGENT, build_client
from prima_cli.platforms.http.responses import (
    EXCERPT_CHARS,
    ClassifyingPlatform,
    PlatformLike,
    decode_json,
    error_message,
    excerpt,
    message_from,
    raise_for_status,
    retry_after_seconds,
)
from prima_cli.platforms.http.retry import (
    DEFAULT_RETRY,
    RETRY_STATUSES_READ,
    RETRY_STATUSES_WRITE,
    WRITE_NOT_APPLIED_5XX,
    RetryPolicy,
    send,
)
from prima_cli.platforms.http.trace import (
    TRACE_BODY_CHARS,
    TRACE_LOGGER,
    disable_verbose_logging,
    enable_verbose_logging,
    log,
)

__all__ = [
    "DEFAULT_RETRY",
    "EXCERPT_CHARS",
    "RETRY_STATUSES_READ",
    "RETRY_STATUSES_WRITE",
    "TRACE_BODY_CHARS",
    "TRACE_LOGGER",
    "USER_AGENT",
    "WRITE_NOT_APPLIED_5XX",
    "ClassifyingPlatform",
    "PlatformLike",
    "RetryPolicy",
    "build_client",
    "decode_json",
    "disable_verbose_logging",
    "enable_verbose_logging",
    "error_message",
    "excerpt",
    "log",
    "message_from",
    "raise_for_status",
    "retry_after_seconds",
    "send",
]
