"""The one HTTP layer every adapter uses: client factory, retries, error mapping, trace.

``build_client`` makes the shared ``httpx.AsyncClient`` (explicit timeouts, bounded
pool, ``User-Agent: prima/<version>``). ``send`` performs one logical request with
retries through :mod:`stamina`:

* idempotent requests (reads) are retried on transport errors and on HTTP 429, 500,
  502, 503, 504;
* writes are retried only when the platform cannot have applied them (connection
  refused or not established, pool timeout, 429, 503). A write that may have reached
  the platform (read/write timeout, reset after sending, 500/502/504) raises
  :class:`~prima_cli.errors.PlatformAmbiguousOutcome` at once, after one request.

When retries run out, 429 becomes ``PlatformRateLimited`` and everything else
``PlatformUnavailable``. ``raise_for_status`` maps the remaining HTTP errors.

With ``verbose`` every exchange is logged to the ``prima.http`` logger on stderr,
with headers masked by :func:`prima_cli.redact.headers` and URLs and bodies scrubbed
by :func:`prima_cli.redact.scrub`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json as jsonlib
import logging
import ssl
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import httpx
import orjson
import stamina
import stamina.instrumentation

from prima_cli import __version__, redact
from prima_cli.errors import (
    ConfigError,
    PlatformAmbiguousOutcome,
    PlatformAuthError,
    PlatformError,
    PlatformMalformedResponse,
    PlatformNotFound,
    PlatformRateLimited,
    PlatformUnavailable,
    rejection,
)

USER_AGENT = f"prima/{__version__}"
TRACE_LOGGER = "prima.http"
EXCERPT_CHARS = 200
TRACE_BODY_CHARS = 2000

log = logging.getLogger(TRACE_LOGGER)

#: statuses a read is retried on
RETRY_STATUSES_READ = frozenset({429, 500, 502, 503, 504})
#: statuses a write is retried on: the platform refused before doing anything
RETRY_STATUSES_WRITE = frozenset({429, 503})
#: 5xx statuses that prove a write was not applied (everything else 5xx is ambiguous)
WRITE_NOT_APPLIED_5XX = frozenset({501, 503})


class PlatformLike(Protocol):
    """What ``send`` needs to know about the platform: adapters satisfy it."""

    @property
    def name(self) -> str: ...

    @property
    def display_name(self) -> str: ...


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


# --- client factory ----------------------------------------------------------------


def build_client(
    *,
    connect_timeout: float = 5.0,
    read_timeout: float = 15.0,
    max_connections: int = 20,
    max_keepalive_connections: int = 10,
    verbose: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The shared client: explicit timeouts, bounded pool, prima's User-Agent.

    ``verbose`` turns on the ``prima.http`` trace on stderr (see
    :func:`enable_verbose_logging`). Redirects are not followed: a platform API that
    redirects means a wrong ``base_url``, reported as such.
    """
    _route_retry_logs()
    if verbose:
        enable_verbose_logging()
    timeout = httpx.Timeout(
        connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
    )
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_keepalive_connections,
        keepalive_expiry=30.0,
    )
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        transport=transport,
        follow_redirects=False,
        verify=_tls_context(),
    )


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs about 20 ms of CPU; a sync opens one client per worker,
    # so they share one context (it honours SSL_CERT_FILE / SSL_CERT_DIR like httpx's own).
    return httpx.create_ssl_context()


# --- verbose trace -----------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at emit time (test capture included)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _ScrubFilter(logging.Filter):
    """Scrubs registered secrets out of records of a third-party logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact.scrub(record.getMessage())
        record.args = None
        return True


# httpx logs every request URL at INFO; CoverManager URLs carry the key.
logging.getLogger("httpx").addFilter(_ScrubFilter())

_handler: _StderrHandler | None = None


def enable_verbose_logging() -> None:
    """Log every HTTP exchange to stderr through the ``prima.http`` logger."""
    global _handler
    if _handler is None:
        _handler = _StderrHandler()
        log.addHandler(_handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False


def disable_verbose_logging() -> None:
    """Undo :func:`enable_verbose_logging` (tests)."""
    global _handler
    if _handler is not None:
        log.removeHandler(_handler)
        _handler = None
    log.setLevel(logging.NOTSET)
    log.propagate = True


def _route_retry_logs() -> None:
    # stamina's default hook logs a WARNING per retry, which Python's last-resort
    # handler would print on an operator's terminal; retries belong in the trace.
    stamina.instrumentation.set_on_retry_hooks([_log_retry])


def _log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    log.debug(
        "retry %d in %.2f s after %s",
        details.retry_num,
        details.wait_for,
        redact.scrub(_describe(details.caused_by)),
    )


def _body_text(content: bytes) -> str:
    if not content:
        return ""
    # scrub before truncating, so a cut can never leave part of a secret behind
    text = redact.scrub(content.decode("utf-8", errors="replace"))
    if len(text) > TRACE_BODY_CHARS:
        return f"{text[:TRACE_BODY_CHARS]}... ({len(text) - TRACE_BODY_CHARS} more chars)"
    return text


def _trace(
    request: httpx.Request,
    attempt: int,
    elapsed_ms: float,
    response: httpx.Response | None = None,
    error: Exception | None = None,
) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    outcome = f"HTTP {response.status_code}" if response is not None else _describe(error)
    lines = [
        f"{request.method} {redact.scrub(str(request.url))} -> {outcome} "
        f"({elapsed_ms:.0f} ms, attempt {attempt})",
        f"  > headers {redact.headers(request.headers.multi_items())}",
    ]
    if request.content:
        lines.append(f"  > body {_body_text(request.content)}")
    if response is not None and response.content:
        lines.append(f"  < body {_body_text(response.content)}")
    log.debug("\n".join(lines))


# --- retries -----------------------------------------------------------------------


class _RetryableStatus(Exception):
    """An HTTP answer worth another attempt (raised inside the retry block only)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after_seconds(response)


def retry_after_seconds(
    response: httpx.Response, *, now: dt.datetime | None = None
) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or HTTP-date form), ``None`` if absent."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
#: raised before anything was sent and not worth retrying (bad URL, local bug)
_LOCAL_ERRORS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def _decide(idempotent: bool, policy: RetryPolicy) -> Callable[[Exception], bool | float]:
    """The stamina hook: retry or not, and a custom wait for ``Retry-After``."""

    def hook(exc: Exception) -> bool | float:
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
    with :func:`raise_for_status`). Raises ``PlatformAmbiguousOutcome`` for a write
    that may have been applied, ``PlatformRateLimited`` / ``PlatformUnavailable``
    when retries run out, ``ConfigError`` for a URL that cannot be requested.
    """
    try:
        request = client.build_request(method, url, headers=headers, json=json, params=params)
    except httpx.InvalidURL as exc:
        raise _bad_url(platform, url, exc) from None
    except UnicodeEncodeError:  # a header value outside ASCII (the error quotes no value)
        raise ConfigError(
            f"cannot send a request to {platform.display_name}: a header value of the "
            "connection holds a character outside ASCII",
            hint="check the connection's configuration (`prima platforms show`)",
        ) from None
    attempts = 0
    try:
        async for attempt in stamina.retry_context(
            on=_decide(idempotent, policy),
            attempts=policy.attempts,
            timeout=policy.timeout,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
        ):
            with attempt:
                attempts += 1
                return await _attempt(client, platform, request, idempotent, attempts)
    except _RetryableStatus as exc:
        raise _status_exhausted(platform, exc, attempts) from None
    except httpx.UnsupportedProtocol as exc:
        raise _bad_url(platform, url, exc) from None
    except httpx.TransportError as exc:
        raise _transport_exhausted(platform, request, exc, attempts) from None
    raise AssertionError("unreachable: stamina either returns or raises")


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
        _trace(request, number, _ms_since(started), error=exc)
        if not idempotent and not isinstance(exc, _CONNECT_ERRORS + _LOCAL_ERRORS):
            raise _ambiguous(platform, request, _describe(exc)) from exc
        raise
    except httpx.DecodingError as exc:  # an answer came, but its encoding is broken
        _trace(request, number, _ms_since(started), error=exc)
        if not idempotent:
            raise _ambiguous(platform, request, f"undecodable answer ({exc})") from exc
        raise PlatformMalformedResponse(
            f"{platform.display_name} sent an undecodable answer: {exc}", platform=platform.name
        ) from exc
    _trace(request, number, _ms_since(started), response=response)
    status = response.status_code
    if status in (RETRY_STATUSES_READ if idempotent else RETRY_STATUSES_WRITE):
        raise _RetryableStatus(response)
    if not idempotent and status >= 500 and status not in WRITE_NOT_APPLIED_5XX:
        raise _ambiguous(platform, request, f"HTTP {status}", http_status=status)
    return response


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no answer"
    kinds: dict[type[BaseException], str] = {
        httpx.ConnectTimeout: "connect timeout",
        httpx.ReadTimeout: "read timeout",
        httpx.WriteTimeout: "write timeout",
        httpx.PoolTimeout: "connection pool timeout",
        httpx.ConnectError: "connection failed",
        httpx.RemoteProtocolError: "connection closed by the server",
        httpx.ReadError: "connection reset while reading",
        httpx.WriteError: "connection reset while sending",
    }
    if isinstance(exc, httpx.LocalProtocolError):
        # its text quotes the offending header value, which may be a credential
        return "the request could not be sent: a header or the URL holds a character HTTP forbids"
    kind = kinds.get(type(exc))
    detail = str(exc)
    if kind is None:
        return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"{kind} ({detail})" if detail else kind


# --- errors ------------------------------------------------------------------------


def _ambiguous(
    platform: PlatformLike,
    request: httpx.Request,
    what: str,
    *,
    http_status: int | None = None,
) -> PlatformAmbiguousOutcome:
    return PlatformAmbiguousOutcome(
        f"{platform.display_name} may or may not have applied "
        f"{request.method} {_path(request)}: {what}",
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
        f"{redact.scrub(_describe(exc))} after {_attempts(attempts)}",
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


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, scrubbed, single-line excerpt of a body for error messages."""
    flat = " ".join(redact.scrub(text).split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def decode_json(response: httpx.Response, platform: PlatformLike) -> Any:
    """The body as JSON, or ``PlatformMalformedResponse`` with a short excerpt."""
    content = response.content
    if not content.strip():
        raise PlatformMalformedResponse(
            f"{platform.display_name} answered HTTP {response.status_code} with an empty body",
            platform=platform.name,
            http_status=response.status_code,
        )
    try:  # UTF-8 bytes straight to objects: a sync decodes a 70 KB calendar per connection
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        pass
    text = response.text  # another declared charset, or JSON only Python's parser accepts
    try:
        return jsonlib.loads(text)
    except ValueError:
        cut = excerpt(text)
        raise PlatformMalformedResponse(
            f"{platform.display_name} answered HTTP {response.status_code} with a body "
            f"that is not JSON: {cut!r}",
            excerpt=cut,
            platform=platform.name,
            http_status=response.status_code,
        ) from None


def message_from(body: Any, keys: Iterable[str] = ("error", "message")) -> str | None:
    """The platform's own error text from a decoded body (strings, nested, lists)."""
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, list):
        parts = [m for m in (message_from(item, keys) for item in body) if m]
        return "; ".join(parts) or None
    if not isinstance(body, dict):
        return None
    for key in (*keys, "errors"):
        value = body.get(key)
        if isinstance(value, str | list | dict) and (found := message_from(value, keys)):
            return found
    return None


def error_message(
    response: httpx.Response, keys: Iterable[str] = ("error", "message")
) -> str | None:
    """The platform's message in an error response: JSON field or a text excerpt."""
    text = response.text
    if not text.strip():
        return None
    try:
        body = jsonlib.loads(text)
    except ValueError:
        return excerpt(text)
    found = message_from(body, keys)
    return redact.scrub(found) if found else None


def raise_for_status(
    response: httpx.Response,
    platform: PlatformLike,
    *,
    message_keys: Iterable[str] = ("error", "message"),
) -> None:
    """Map a non-2xx response to the typed platform error; 2xx returns quietly."""
    status = response.status_code
    if 200 <= status < 300:
        return
    name, display = platform.name, platform.display_name
    message = error_message(response, message_keys)
    said = f": {message}" if message else ""
    common: dict[str, Any] = {"platform": name, "http_status": status, "platform_message": message}
    if 300 <= status < 400:
        target = redact.scrub(response.headers.get("Location", "?"))
        raise PlatformUnavailable(
            f"{display} redirected the request (HTTP {status} to {target})",
            hint="check the connection's base_url",
            **common,
        )
    if status in (401, 403):
        raise PlatformAuthError(
            f"{display} refused the credentials (HTTP {status}){said}",
            hint="check the connection's credentials (`prima platforms test`)",
            **common,
        )
    if status == 404:
        raise PlatformNotFound(
            f"{display} found nothing at {_path(response.request)}{said}", **common
        )
    if status == 429:
        raise PlatformRateLimited(
            f"{display} is rate limiting prima (HTTP 429){said}",
            retry_after=retry_after_seconds(response),
            **common,
        )
    if status < 500:
        raise rejection(
            f"{display} rejected the request (HTTP {status}){said}",
            message,
            platform=name,
            http_status=status,
        )
    raise PlatformUnavailable(f"{display} answered HTTP {status}{said}", **common)


def _path(request: httpx.Request) -> str:
    return redact.scrub(request.url.path)
