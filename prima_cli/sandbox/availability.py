"""The shared capacity model: which quarter hours a venue can still seat, and for whom.

Each venue opens for its services (e.g. 13:00-16:00 and 20:00-23:00 local, end
exclusive) on a 15-minute grid. Every quarter hour has ``slot_capacity`` covers that can
start then; a live reservation consumes its party size at its start time. A party fits
when it is at most ``max_party`` and at most the covers left, so a slot that fills
disappears. Past slots and slots beyond the booking window are never bookable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from zoneinfo import ZoneInfo

from prima_cli.sandbox.seed import Venue

GRID_MINUTES = 15


def grid_times(venue: Venue) -> tuple[str, ...]:
    """Every quarter-hour start time ("HH:MM") of the venue's services, in order."""
    return _grid(venue.services)


@lru_cache(maxsize=64)
def _grid(services: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    # asked for every slot of every day of every calendar request: computed once per plan
    times: list[str] = []
    for start, end in services:
        t = _minutes(start)
        while t < _minutes(end):
            times.append(f"{t // 60:02d}:{t % 60:02d}")
            t += GRID_MINUTES
    return tuple(times)


def local_today(venue: Venue, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(venue.timezone)).date()


def remaining_covers(
    venue: Venue,
    day: dt.date,
    now: dt.datetime,
    window_days: int,
    booked: Mapping[str, int],
    capacity_overrides: Mapping[str, int],
) -> dict[str, int]:
    """Covers still free per bookable time of ``day`` (only times with at least one)."""
    free: dict[str, int] = {}
    for hhmm in grid_times(venue):
        if not is_open(venue, day, hhmm, now, window_days):
            continue
        left = capacity_overrides.get(hhmm, venue.slot_capacity) - booked.get(hhmm, 0)
        if left > 0:
            free[hhmm] = left
    return free


def is_open(venue: Venue, day: dt.date, hhmm: str, now: dt.datetime, window_days: int) -> bool:
    """Whether ``hhmm`` on ``day`` is a future grid time of a service, within the window."""
    if hhmm not in grid_times(venue):
        return False
    tz = ZoneInfo(venue.timezone)
    local_now = now.astimezone(tz)
    if day > local_now.date() + dt.timedelta(days=window_days):
        return False
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=tz) > local_now


def party_sizes(venue: Venue, covers_left: int) -> range:
    """Party sizes that fit in a slot with ``covers_left`` covers."""
    return range(1, min(venue.max_party, covers_left) + 1)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)
