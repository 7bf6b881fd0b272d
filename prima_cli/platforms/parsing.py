"""Parsing and validation helpers of the adapter SDK: URL segments, phones, times, numbers.

Every helper raises prima's typed errors (``InvalidInput`` before any request,
``ConfigError`` for a connection that cannot work) rather than returning a failure value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from prima_cli.errors import ConfigError, InvalidInput
from prima_cli.platforms.contract import Connection

if TYPE_CHECKING:
    import phonenumbers


#: a reservation id prima records: what `prima bookings resolve --found` takes, so every id
#: can be typed back, sent in a path or a body, and printed on one line
EXTERNAL_ID = re.compile(r"[!-~]{1,100}")


def external_id(value: object) -> str | None:
    """A platform's reservation id (text or a number) as text, or ``None`` when it is
    missing or not 1 to 100 printable ASCII characters without spaces: an answer without a
    usable id is malformed, whatever else it says."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if EXTERNAL_ID.fullmatch(value) else None


def require_http_url(value: str) -> None:
    """Refuse (InvalidInput) a ``base_url`` that is not an http(s) URL with a host, before
    it is saved: every command using the connection would refuse it (exit 78), a cron sync
    included. The message masks a password the URL holds."""
    from urllib.parse import urlsplit

    from prima_cli.redact import mask_url

    try:
        parts = urlsplit(value)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a port that is not a number, an unclosed IPv6 bracket
        usable = False
    if not usable:
        raise InvalidInput(
            f"base_url {mask_url(value)!r} is not an http(s) URL",
            hint="write it in full, e.g. --set base_url=https://api.example.com/v1",
        )


def segment(value: str) -> str:
    """A value quoted for use as one URL path segment."""
    return quote(value, safe="")


def venue_zone(connection: Connection) -> ZoneInfo:
    """The venue's time zone; an unknown name is a ConfigError."""
    try:
        return ZoneInfo(connection.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the OS refuses
        raise ConfigError(
            f"venue {connection.venue_slug!r} has an unknown time zone {connection.timezone!r}",
            hint="use an IANA name such as Europe/Madrid",
        ) from None


def parse_phone(e164: str) -> phonenumbers.PhoneNumber:
    """A guest phone in E.164 form, or ``InvalidInput`` (exit 2) before any request."""
    import phonenumbers  # only bookings need it: reads and syncs skip importing it

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not e164.startswith("+") or not phonenumbers.is_possible_number(number):
        raise InvalidInput(
            f"guest phone {e164!r} is not a possible international number",
            hint="give it in E.164 form, with the country code: +34600111222",
        )
    return number


def split_phone(e164: str) -> tuple[str, str]:
    """(country calling code digits, national significant number): ``("44", "7700900123")``."""
    import phonenumbers

    number = parse_phone(e164)
    return str(number.country_code), phonenumbers.national_significant_number(number)


def normalise_phone(e164: str) -> str:
    """The guest phone re-formatted as strict E.164 (spaces and dashes removed)."""
    import phonenumbers

    return phonenumbers.format_number(parse_phone(e164), phonenumbers.PhoneNumberFormat.E164)


def require_party_size(party_size: int) -> None:
    """A party of fewer than one is InvalidInput (exit 2)."""
    if party_size < 1:
        raise InvalidInput(f"party size must be at least 1 (got {party_size})")


_HOUR = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


#: valid hour strings seen so far: calendars repeat a few dozen of them thousands of times
#: in a sync (bounded, so a hostile platform cannot grow it without end: in entries, and
#: each to a short key, since blanks around an hour are allowed)
_KNOWN_HOURS: dict[str, dt.time] = {}
#: the longest hour string kept in the caches (``HH:MM:SS``)
MAX_HOUR_CHARS = 8


def parse_hour(value: object) -> dt.time | None:
    """``HH:MM`` or ``HH:MM:SS`` as a time; ``None`` if it is not one."""
    if not isinstance(value, str):
        return None
    at = _KNOWN_HOURS.get(value)
    if at is None:
        at = _parse_hour_text(value)
        if at is not None and len(_KNOWN_HOURS) < 4096 and len(value) <= MAX_HOUR_CHARS:
            _KNOWN_HOURS[value] = at
    return at


def _parse_hour_text(value: str) -> dt.time | None:
    match = _HOUR.match(value.strip())
    if match is None:
        return None
    hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return None


def parse_hours(keys: Iterable[object]) -> list[dt.time]:
    """Every key as a time (see :func:`parse_hour`); ``ValueError`` names the first bad one.

    Known keys are looked up in C (``map`` over the cache of :func:`parse_hour`): a week's
    calendar for one venue holds over a thousand of them, and a sync reads one per connection.
    """
    keys = list(keys)
    try:
        return list(map(_KNOWN_HOURS.__getitem__, keys))  # type: ignore[arg-type]
    except (KeyError, TypeError):
        pass
    times = []
    for key in keys:
        at = parse_hour(key)
        if at is None:
            raise ValueError(key)
        times.append(at)
    return times


#: the longest raw status prima keeps (the store's ``raw_status`` column)
RAW_STATUS_CHARS = 40


def status_text(text: str) -> str:
    """A platform's own status text as prima keeps it: at most ``RAW_STATUS_CHARS``
    characters, made printable (a status with NUL, a lone surrogate or more characters
    than the column holds failed the write of a booking the platform had made)."""
    if len(text) <= RAW_STATUS_CHARS and text.isprintable():  # the usual "3", "CONFIRMED"
        return text
    from prima_cli.platforms.http.responses import printable

    return printable(text)[:RAW_STATUS_CHARS]


def parse_int(value: object) -> int | None:
    """An integer sent as a number or as a string of digits (``"4"``, ``"-3"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def require_whole_minute(value: dt.time) -> None:
    """Platforms take ``HH:MM``: seconds would be dropped silently, so refuse them."""
    if value.second or value.microsecond:
        raise InvalidInput(
            f"time {value.isoformat()} has seconds; platforms book whole minutes",
            hint=f"use {value.strftime('%H:%M')}",
        )
