"""The faults the conformance kit puts in a platform's mouth, and the error each must give.

Reads (``auth``, ``availability``) may be retried on anything transient; writes
(``create``, ``cancel``) only when the platform cannot have applied them, and a write that
may have landed is ``PlatformAmbiguousOutcome`` after exactly one request.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from prima_cli.errors import (
    PlatformAmbiguousOutcome,
    PlatformAuthError,
    PlatformError,
    PlatformMalformedResponse,
    PlatformNotFound,
    PlatformRateLimited,
    PlatformUnavailable,
)
from prima_cli.testing.stub import Answer, Reply

#: a body that is no JSON, as a proxy's error page
HTML = "<html><body>Bad Gateway</body></html>"


@dataclass(frozen=True)
class Fault:
    """An answer an endpoint gives, the error the operation must raise, and how often the
    request may be sent: ``once`` (never retried), retried (``False``: more than one
    request) or either (``None``)."""

    name: str
    answer: Answer
    error: type[PlatformError]
    once: bool | None

    def __str__(self) -> str:
        return self.name


def _status(code: int, error: type[PlatformError], *, once: bool) -> Fault:
    return Fault(f"HTTP {code}", Reply(code, json={"error": f"stub HTTP {code}"}), error, once)


#: faults of every operation
COMMON = (
    _status(401, PlatformAuthError, once=True),
    _status(403, PlatformAuthError, once=True),
    _status(429, PlatformRateLimited, once=False),
    _status(503, PlatformUnavailable, once=False),
    Fault("connection refused", httpx.ConnectError, PlatformUnavailable, once=False),
)

#: faults of reads: transient errors are retried, then the platform is unavailable
READS = (
    *COMMON,
    _status(500, PlatformUnavailable, once=False),
    _status(502, PlatformUnavailable, once=False),
    _status(504, PlatformUnavailable, once=False),
    Fault("read timeout", httpx.ReadTimeout, PlatformUnavailable, once=False),
    Fault("connection reset", httpx.RemoteProtocolError, PlatformUnavailable, once=False),
)

#: the read whose answer must be parsed: an unreadable one is malformed
UNREADABLE_READ = Fault(
    "HTML instead of JSON", Reply(200, text=HTML), PlatformMalformedResponse, once=None
)

#: faults of writes: whatever may have landed is ambiguous and sent once
WRITES = (
    *COMMON,
    _status(500, PlatformAmbiguousOutcome, once=True),
    _status(502, PlatformAmbiguousOutcome, once=True),
    _status(504, PlatformAmbiguousOutcome, once=True),
    Fault("read timeout", httpx.ReadTimeout, PlatformAmbiguousOutcome, once=True),
    Fault("write timeout", httpx.WriteTimeout, PlatformAmbiguousOutcome, once=True),
    Fault("connection reset", httpx.RemoteProtocolError, PlatformAmbiguousOutcome, once=True),
    Fault("2xx with HTML", Reply(200, text=HTML), PlatformAmbiguousOutcome, once=True),
)

#: a cancel of a reservation the platform does not know
UNKNOWN_RESERVATION = _status(404, PlatformNotFound, once=True)
