"""One logical request with retries through :mod:`stamina`, and what a write may have done.

* idempotent requests (reads) are retried on transport errors and on HTTP 429, 500,
  502, 503, 504;
* writes are retried only when the platform cannot have applied them (connection
  refused or not established, pool timeout, 429, 503). A write that may have reached
  the platform (read/write timeout, reset after sending, 500/502/504, a 302/303 redirect
  to its result) raises :class:`~prima_cli.errors.PlatformAmbiguousOutcome` at once,
  after one request.

When retries run out, 429 becomes ``PlatformRateLimited`` and everything else
``PlatformUnavailable``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import stamina

from prima_cli import redact
from prima_cli.call_status import watched
from prima_cli.errors import (
    ConfigError,
    PlatformAmbiguousOutcome,
    PlatformError,
    PlatformMalformedResponse,
    PlatformRateLimited,
    PlatformUnavailable,
)
from prima_cli.platforms.http import breaker
from prima_cli.platforms.http.budget import WRITE_EXTENSION
from prima_cli.platforms.http.responses import (
    PlatformLike,
    error_message,
    request_path,
    retry_after_seconds,
)
from prima_cli.platforms.http.trace import describe, trace

#: statuses a read is retried on
RETRY_STATUSES_READ = frozenset({429, 500, 502, 503, 504})
#: statuses a write is retried on: the platform refused before doing anything
RETRY_STATUSES_WRITE = frozenset({429, 503})
#: 5xx statuses that prove a write was not applied (everything else 5xx is ambiguous)
WRITE_NOT_APPLIED_5XX = frozenset({501, 503})
#: redirects that answer a write the server handled: 303 See Other points at the result of
#: a POST (RFC 9110 15.4.4), and servers send 302 alike; a moved endpoint (301, 307, 308)
#: answers before handling anything
WRITE_HANDLED_3XX = frozenset({302, 303})


@dataclass(frozen=True)
class RetryPolicy:
    """Retry budget of one logical request (``stamina.set_testing`` zeroes the waits)."""

    attempts: int = 4
    #: total seconds spent retrying before giving up
    timeout: float = 45.0
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 1.0
    #: a ``Retry-After`` longer than this is not waited for: we give up at once
    max_retry_after: float = 30.0


DEFAULT_RETRY = RetryPolicy()


class _RetryableStatus(Exception):
    """An HTTP answer worth another attempt (raised inside the retry block only)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after_seconds(response)


#: a retry context's timeout once the first attempt used the policy's whole total: stamina
#: then stops after that attempt (a zero would mean "no retries" with a warning)
_NO_TIME_LEFT = 1e-6

_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
#: raised before anything was sent and not worth retrying (bad URL, local bug)
_LOCAL_ERRORS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def _decide(idempotent: bool, policy: RetryPolicy) -> Callable[[BaseException], bool | float]:
    """The stamina hook: retry or not, and a custom wait for ``Retry-After``."""

    def hook(exc: BaseException) -> bool | float:
        if isinstance(exc, _RetryableStatus):
            if exc.retry_after is None:
                return True
            if exc.retry_after > policy.max_retry_after:
                return False
            return exc.retry_after
        if isinstance(exc, _LOCAL_ERRORS):
            return False
        if isinstance(exc, _CONNECT_ERRORS):
            return True
        # other transport errors only reach this hook for reads (writes raise ambiguous)
        return idempotent and isinstance(exc, httpx.TransportError)

    return hook


async def send(
    client: httpx.AsyncClient,
    platform: PlatformLike,
    method: str,
    url: str,
    *,
    idempotent: bool,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    params: Mapping[str, str | int] | None = None,
    policy: RetryPolicy = DEFAULT_RETRY,
) -> httpx.Response:
    """Send one logical request with the retry policy above.

    Returns the final response, whatever its status when it is not retried (map it
    with :func:`~prima_cli.platforms.http.raise_for_status`). The bound credential's circuit
    breaker guards it (:mod:`.breaker`) and its budget paces each attempt (:mod:`.budget`, in
    the transport). Raises ``PlatformCircuitOpen`` when the breaker is open (nothing sent),
    ``PlatformAmbiguousOutcome`` for a write that may have been applied,
    ``PlatformRateLimited`` / ``PlatformUnavailable`` when retries run out, ``ConfigError``
    for a URL that cannot be requested.
    """
    try:
        request = client.build_request(
            method, url, headers=headers, json=json, params=params,
            extensions={WRITE_EXTENSION: True} if not idempotent else None,
        )  # fmt: skip
    except httpx.InvalidURL as exc:
        raise _bad_url(platform, url, exc) from None
    except UnicodeEncodeError:  # a header value outside ASCII (the error quotes no value)
        raise ConfigError(
            f"cannot send a request to {platform.display_name}: a header value of the "
            "connection holds a character outside ASCII",
            hint="check the connection's configuration (`prima platforms show`)",
        ) from None
    async with breaker.guard():
        return await _with_retries(client, platform, request, url, idempotent, policy)


async def _with_retries(
    client: httpx.AsyncClient,
    platform: PlatformLike,
    request: httpx.Request,
    url: str,
    idempotent: bool,
    policy: RetryPolicy,
) -> httpx.Response:
    # The first attempt runs outside stamina: nearly every request succeeds at once, and a
    # retry context per request costs its setup and about fifty objects in reference cycles
    # (tenacity's state) left for the garbage collector. A first attempt that raises is
    # raised again as the first attempt of the retry context below, so stamina decides on
    # it, waits and counts attempts exactly as if it had run it (its testing mode too).
    started = time.monotonic()
    try:
        return await _watched(
            _attempt(client, platform, request, idempotent, 1), platform, 1, policy
        )
    except Exception as exc:
        first: Exception | None = exc
    attempts = 0
    try:
        async for attempt in stamina.retry_context(
            on=_decide(idempotent, policy),
            attempts=policy.attempts,
            # the first attempt's time counts against the policy's total, as it would inside
            timeout=max(policy.timeout - (time.monotonic() - started), _NO_TIME_LEFT),
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt:
                attempts += 1
                if first is not None:
                    failed, first = first, None
                    raise failed
                return await _watched(
                    _attempt(client, platform, request, idempotent, attempts),
                    platform,
                    attempts,
                    policy,
                )
    except _RetryableStatus as exc:
        raise _status_exhausted(platform, exc, attempts) from None
    except httpx.UnsupportedProtocol as exc:
        raise _bad_url(platform, url, exc) from None
    except httpx.TransportError as exc:
        raise _transport_exhausted(platform, request, exc, attempts) from None
    raise AssertionError("unreachable: stamina either returns or raises")


def _watched(
    call: Coroutine[Any, Any, httpx.Response],
    platform: PlatformLike,
    number: int,
    policy: RetryPolicy,
) -> Awaitable[httpx.Response]:
    """``call`` watched for the status line."""
    return watched(call, f"{platform.display_name}, attempt {number} of {policy.attempts} ...")


async def _attempt(
    client: httpx.AsyncClient,
    platform: PlatformLike,
    request: httpx.Request,
    idempotent: bool,
    number: int,
) -> httpx.Response:
    started = time.perf_counter()
    try:
        response = await client.send(request)
    except httpx.TransportError as exc:
        trace(request, number, _ms_since(started), error=exc)
        if not idempotent and not isinstance(exc, _CONNECT_ERRORS + _LOCAL_ERRORS):
            raise ambiguous(platform, request, describe(exc)) from exc
        raise
    except httpx.DecodingError as exc:  # an answer came, but its encoding is broken
        trace(request, number, _ms_since(started), error=exc)
        if not idempotent:
            raise ambiguous(platform, request, f"undecodable answer ({exc})") from exc
        raise PlatformMalformedResponse(
            f"{platform.display_name} sent an undecodable answer: {exc}", platform=platform.name
        ) from exc
    if not isinstance(response.stream, httpx.ByteStream):
        # httpx's own send leaves a read response in a reference cycle with its stream
        # (Response.stream -> BoundAsyncStream -> Response), which keeps it, its request and
        # httpcore's objects of the exchange for the garbage collector; the body is read by
        # now, so a plain stream of it lets reference counting free them
        response.stream = httpx.ByteStream(response.content)
    trace(request, number, _ms_since(started), response=response)
    status = response.status_code
    if status in (RETRY_STATUSES_READ if idempotent else RETRY_STATUSES_WRITE):
        raise _RetryableStatus(response)
    if not idempotent and (
        (status >= 500 and status not in WRITE_NOT_APPLIED_5XX) or status in WRITE_HANDLED_3XX
    ):
        raise ambiguous(platform, request, f"HTTP {status}", http_status=status)
    return response


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def ambiguous(
    platform: PlatformLike,
    request: httpx.Request,
    what: str,
    *,
    http_status: int | None = None,
) -> PlatformAmbiguousOutcome:
    """The error of a write that may or may not have been applied (never retried)."""
    return PlatformAmbiguousOutcome(
        f"{platform.display_name} may or may not have applied "
        f"{request.method} {request_path(request)}: {what}",
        platform=platform.name,
        http_status=http_status,
        hint="the outcome is unknown and was not retried; reconcile before trying again",
    )


def _status_exhausted(
    platform: PlatformLike, exc: _RetryableStatus, attempts: int
) -> PlatformError:
    response = exc.response
    status = response.status_code
    message = error_message(response)
    if status == 429:
        wait = exc.retry_after
        return PlatformRateLimited(
            f"{platform.display_name} is rate limiting prima (HTTP 429 after "
            f"{_attempts(attempts)})",
            retry_after=wait,
            platform=platform.name,
            http_status=status,
            platform_message=message,
            hint=f"try again in {wait:.0f} s" if wait is not None else "try again later",
        )
    return PlatformUnavailable(
        f"{platform.display_name} answered HTTP {status} after {_attempts(attempts)}",
        platform=platform.name,
        http_status=status,
        platform_message=message,
        hint="the platform is having trouble; try again later",
    )


def _transport_exhausted(
    platform: PlatformLike, request: httpx.Request, exc: httpx.TransportError, attempts: int
) -> PlatformUnavailable:
    return PlatformUnavailable(
        f"{platform.display_name} at {request.url.host} is unreachable: "
        f"{redact.scrub(describe(exc))} after {_attempts(attempts)}",
        platform=platform.name,
        hint="check the network and the connection's base_url, then try again",
    )


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def _bad_url(platform: PlatformLike, url: str, exc: Exception) -> ConfigError:
    return ConfigError(
        f"cannot request {redact.scrub(url)!r} for {platform.display_name}: "
        f"{redact.scrub(str(exc))}",
        hint="check the connection's base_url (it must start with https:// or http://)",
    )
