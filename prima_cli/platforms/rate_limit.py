"""Request budgets: the ``rate_limit`` grammar and its value.

A budget is written ``COUNT/UNIT`` with an optional burst: ``50/min``, ``10/s``,
``3000/hour``, ``600/min,burst=5``. Units: ``s``/``sec``/``second``, ``m``/``min``/``minute``,
``h``/``hour`` (plurals too). Requests are spaced evenly (``50/min``: one every 1.2 s), so
no period ever holds more than COUNT of them; a burst B lets B go back to back after a quiet
spell, so a period may then hold up to COUNT + B - 1: keep it below the platform's own limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from prima_cli.errors import InvalidInput

#: seconds per unit word
_UNITS = {
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hour": 3600.0, "hours": 3600.0,
}  # fmt: skip
_FORM = re.compile(r"^\s*(\d+)\s*/\s*([a-z]+)\s*(?:,\s*burst\s*=\s*(\d+)\s*)?$", re.IGNORECASE)
GRAMMAR = "COUNT/UNIT[,burst=N], e.g. 50/min, 10/s, 3000/hour or 600/min,burst=5"
#: a budget faster than this is a typo, not a platform's limit
MAX_PER_SECOND = 10_000.0


@dataclass(frozen=True, order=True)
class RateLimit:
    """``count`` requests per ``period`` seconds, ``burst`` of them back to back."""

    count: int
    period: float
    burst: int = 1

    @property
    def interval(self) -> float:
        """Seconds between two requests at the steady pace."""
        return self.period / self.count

    @property
    def per_second(self) -> float:
        return self.count / self.period

    def __str__(self) -> str:
        unit = {1.0: "s", 60.0: "min", 3600.0: "hour"}.get(self.period, f"{self.period:g}s")
        text = f"{self.count}/{unit}"
        return text if self.burst == 1 else f"{text},burst={self.burst}"


def parse(text: str, *, key: str = "rate_limit") -> RateLimit:
    """A ``rate_limit`` value, or ``InvalidInput`` (exit 2) that shows the grammar."""
    match = _FORM.match(text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise InvalidInput(f"{key} {text!r} is not a budget", hint=f"write {GRAMMAR}")
    count, burst = int(match.group(1)), int(match.group(3) or 1)
    if count < 1:
        raise InvalidInput(f"{key} {text!r} allows no request", hint=f"write {GRAMMAR}")
    if not 1 <= burst <= count:
        raise InvalidInput(
            f"{key} {text!r}: the burst must be from 1 to the count ({count})",
            hint=f"write {GRAMMAR}",
        )
    limit = RateLimit(count, unit, burst)
    if limit.per_second > MAX_PER_SECOND:
        raise InvalidInput(
            f"{key} {text!r} is more than {MAX_PER_SECOND:.0f} requests a second",
            hint=f"write {GRAMMAR}",
        )
    return limit
