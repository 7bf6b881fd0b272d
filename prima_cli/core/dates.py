"""Dates as operators type them: ``YYYY-MM-DD`` or a day counted from today.

Accepted forms (case-insensitive):

- ``2026-12-24``: that date;
- ``today``, ``tomorrow``, ``yesterday``;
- ``+Nd`` / ``-Nd`` (``+2d``: the day after tomorrow), ``+Nw`` / ``-Nw`` (weeks);
- a weekday name (``friday``, ``fri``): the next such day after today, never today itself,
  so ``friday`` on a Friday is the Friday of next week.

A relative date is counted in the venue's own time zone (``today`` at a venue in Mexico City
is not always today in Madrid); where no venue applies, in the machine's local zone. Scripts
and READMEs use these so that no date they print ever goes stale.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from prima_cli.errors import InvalidInput

#: the forms, as help texts and errors name them
FORMS = "YYYY-MM-DD, today, tomorrow, +Nd, +Nw or a weekday name"

_WORDS = {"today": 0, "tomorrow": 1, "yesterday": -1}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OFFSET = re.compile(r"([+-])(\d{1,4})([dw])")
#: the first and last dates taken
FIRST = dt.date(dt.MINYEAR + 1, 1, 1)
LAST = dt.date(dt.MAXYEAR - 1, 12, 31)


@dataclass(frozen=True)
class DateSpec:
    """A date as given: absolute, or relative to a today that depends on a time zone."""

    text: str
    absolute: dt.date | None = None
    days: int = 0  # offset from today, for a word or +Nd
    weekday: int | None = None  # the next such day after today (0 = Monday)

    @property
    def relative(self) -> bool:
        return self.absolute is None

    def on(self, today: dt.date) -> dt.date:
        """The date this spec names when today is ``today`` (one within a year of the
        calendar's ends is refused: the days around it, a period's bounds in UTC, would
        fall off the calendar in the queries that use it)."""
        if self.absolute is not None:
            day = self.absolute
        elif self.weekday is not None:
            ahead = (self.weekday - today.weekday() - 1) % 7 + 1
            day = today + dt.timedelta(days=ahead)
        else:
            try:
                day = today + dt.timedelta(days=self.days)
            except OverflowError:
                day = dt.date.min
        return within_calendar(day, self.text)

    def in_zone(self, timezone: str | None) -> dt.date:
        """The date in ``timezone`` (an IANA name), or in the machine's zone for ``None``."""
        now = dt.datetime.now(ZoneInfo(timezone)) if timezone else dt.datetime.now()
        return self.on(now.date())


def within_calendar(day: dt.date, text: str) -> dt.date:
    """``day``, or an input error when it is within a year of the calendar's ends."""
    if not FIRST <= day <= LAST:
        raise InvalidInput(f"{text!r} falls outside the calendar ({FIRST} to {LAST})")
    return day


def parse(value: str, *, option: str = "--date") -> DateSpec:
    """The :class:`DateSpec` of ``value``; anything else is an input error naming ``option``."""
    text = value.strip().lower()
    if text in _WORDS:
        return DateSpec(value, days=_WORDS[text])
    for index, name in enumerate(_WEEKDAYS):
        if len(text) >= 3 and name.startswith(text):
            return DateSpec(value, weekday=index)
    match = _OFFSET.fullmatch(text)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        days = int(match.group(2)) * (7 if match.group(3) == "w" else 1)
        return DateSpec(value, days=sign * days)
    try:
        return DateSpec(value, absolute=dt.date.fromisoformat(text))
    except ValueError:
        raise InvalidInput(f"{option} must be {FORMS}, not {value!r}") from None
