"""Reading answers: JSON bodies, the platform's own error text, HTTP status -> typed error."""

from __future__ import annotations

import datetime as dt
import email.utils
import json as jsonlib
import re
from collections.abc import Iterable
from typing import Any, Protocol

import httpx
import orjson

from prima_cli import redact
from prima_cli.errors import (
    PlatformAuthError,
    PlatformMalformedResponse,
    PlatformNotFound,
    PlatformRateLimited,
    PlatformRejected,
    PlatformUnavailable,
)

EXCERPT_CHARS = 200
#: a platform's own words are kept longer than a body's excerpt: they are what the
#: operator reads, and the no-availability wordings are matched in them
MESSAGE_CHARS = 500


class PlatformLike(Protocol):
    """What the HTTP helpers need to know about the platform: adapters satisfy it."""

    @property
    def name(self) -> str: ...

    @property
    def display_name(self) -> str: ...


class ClassifyingPlatform(PlatformLike, Protocol):
    """A platform that also reads its own refusals (every ``PlatformAdapter`` does)."""

    def classify_rejection(
        self, message: str, platform_message: str | None, *, http_status: int | None = None
    ) -> PlatformRejected: ...


#: what no message keeps: control characters (NUL, which PostgreSQL refuses in text; a
#: terminal's escape sequences) and lone surrogates (a JSON escape no encoder writes)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with each character that cannot be stored or shown as it is (see
    ``_UNSAFE``) replaced by U+FFFD."""
    return _UNSAFE.sub("\ufffd", text)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, scrubbed, single-line excerpt of a body for error messages (made
    :func:`printable`)."""
    flat = printable(" ".join(redact.scrub(text).split()))
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
    try:  # UTF-8 bytes straight to objects: a sync decodes a large calendar per connection
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        pass
    text = response.text  # another declared charset, or JSON only Python's parser accepts
    try:
        body = jsonlib.loads(text)
        # Python's parser reads a lone surrogate's escape (orjson refuses it) into a text
        # that no encoder writes: the answer kept in the store, or printed, would fail there
        return _printable_texts(body) if _SURROGATE_ESCAPE.search(text) else body
    except (ValueError, RecursionError):  # nested deeper than any answer: not one either
        cut = excerpt(text)
        raise PlatformMalformedResponse(
            f"{platform.display_name} answered HTTP {response.status_code} with a body "
            f"that is not JSON: {cut!r}",
            excerpt=cut,
            platform=platform.name,
            http_status=response.status_code,
        ) from None


#: the JSON escape of a surrogate (a pair's two become one character as they are read)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _printable_texts(value: Any) -> Any:
    """``value`` with each lone surrogate of its texts (keys too) replaced by U+FFFD."""
    if isinstance(value, str):
        return _SURROGATES.sub("\ufffd", value)
    if isinstance(value, list):
        return [_printable_texts(item) for item in value]
    if isinstance(value, dict):
        return {_printable_texts(k): _printable_texts(v) for k, v in value.items()}
    return value


def message_from(body: Any, keys: Iterable[str] = ("error", "message")) -> str | None:
    """The platform's own error text from a decoded body (strings, nested, lists), as
    one line of at most ``MESSAGE_CHARS`` characters with secrets masked.

    It ends up in errors, cron mail and the store (a connection's last error, the sync
    history): a line break in it would begin a line of its own there, and a body of
    megabytes would be kept and printed at every run. Secrets are masked before the cut,
    which could otherwise leave a key's first half that no longer reads as the key.
    """
    found = _message_in(body, tuple(keys))
    return excerpt(found, MESSAGE_CHARS) or None if found else None


def _message_in(body: Any, keys: tuple[str, ...]) -> str | None:
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, list):
        parts = [m for m in (_message_in(item, keys) for item in body) if m]
        return "; ".join(parts) or None
    if not isinstance(body, dict):
        return None
    for key in (*keys, "errors"):
        value = body.get(key)
        if isinstance(value, str | list | dict) and (found := _message_in(value, keys)):
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
    return message_from(body, keys)


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


def raise_for_status(
    response: httpx.Response,
    platform: ClassifyingPlatform,
    *,
    message_keys: Iterable[str] = ("error", "message"),
) -> None:
    """Map a non-2xx response to the typed platform error; 2xx returns quietly.

    A 4xx refusal with the platform's words is read by the platform's
    ``classify_rejection`` (its own "no availability" wordings).
    """
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
            f"{display} found nothing at {request_path(response.request)}{said}", **common
        )
    if status == 429:
        raise PlatformRateLimited(
            f"{display} is rate limiting prima (HTTP 429){said}",
            retry_after=retry_after_seconds(response),
            **common,
        )
    if status < 500:
        raise platform.classify_rejection(
            f"{display} rejected the request (HTTP {status}){said}", message, http_status=status
        )
    raise PlatformUnavailable(f"{display} answered HTTP {status}{said}", **common)


def request_path(request: httpx.Request) -> str:
    """The request's path with secrets scrubbed (CoverManager puts its key there)."""
    return redact.scrub(request.url.path)
