"""Durations and points in time as operators type them: ``90s``, ``15m``, ``2h``, ``30d``,
``1w``, or (where a point in time is asked for) an ISO date or date and time."""

from __future__ import annotations

import datetime as dt
import re

from prima_cli.errors import InvalidInput

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: the longest duration taken: ages and look-backs are counted back from now, which a
#: longer one would carry before the first representable date (an internal error)
LONGEST = dt.timedelta(days=36500)


def parse_duration(text: str, *, option: str) -> dt.timedelta:
    """``15m`` as a timedelta; anything else is exit 2 naming ``option``."""
    found = _DURATION.match(text)
    if found is None or int(found.group(1)) <= 0:
        raise InvalidInput(
            f"{option} must be a positive duration such as 90s, 15m, 2h, 30d or 1w, not {text!r}"
        )
    seconds = int(found.group(1)) * _UNITS[found.group(2)]
    if seconds > LONGEST.total_seconds():
        raise InvalidInput(f"{option} must be at most {LONGEST.days}d, not {text!r}")
    return dt.timedelta(seconds=seconds)


def parse_since(text: str, *, option: str, now: dt.datetime) -> dt.datetime:
    """A point in time: ``now`` less a duration, or an ISO date (midnight UTC) or date and
    time (UTC unless it carries an offset)."""
    if _DURATION.match(text):
        return now - parse_duration(text, option=option)
    try:
        when = dt.datetime.fromisoformat(text.strip())
        # in UTC, as the store compares it: an offset that carries it past the calendar's
        # last day is refused here, not met as an internal error by the query
        return when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(
            f"{option} must be a duration (15m, 2h, 7d) or a date (2026-12-01, "
            f"2026-12-01T08:00+01:00), not {text!r}"
        ) from None
