"""Availability snapshots: what the last sync saw, per connection and venue-local date."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.errors import PlatformMalformedResponse
from prima_cli.store import json_codec

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.platforms.contract import DayAvailability


#: ``HH:MM`` of the times seen so far: a sync encodes a few dozen distinct times over a
#: million times, and a dict's own lookup (mapped in C) is cheaper than a cached function's
_HHMM: dict[dt.time, str] = {}


def _hhmm(time: dt.time) -> str:
    text = _HHMM.get(time)
    if text is None:
        text = time.strftime("%H:%M")
        if len(_HHMM) < 4096:  # bounded, whatever a platform sends
            _HHMM[time] = text
    return text


def _encode_times(times: list[dt.time]) -> list[str]:
    try:
        return list(map(_HHMM.__getitem__, times))
    except KeyError:
        return list(map(_hhmm, times))


def encode(day: DayAvailability) -> dict[str, list[str]]:
    """Party size (as a string) -> sorted bookable ``HH:MM`` times (the stored form)."""
    return {str(size): _encode_times(times) for size, times in sorted(day.items())}


#: the JSON text of each list of times seen: a sync writes thousands of days, and most
#: party sizes and days repeat the same few lists (bounded, whatever a platform sends)
_TIMES_JSON: dict[tuple[dt.time, ...], str] = {}
_CACHED_LISTS = 4096
#: a day every 5 minutes; a longer list is encoded, not kept
_CACHED_TIMES = 288


def encode_json(day: DayAvailability) -> str:
    """``encode(day)`` as the JSON text a JSON column stores (``json_codec.dumps``'s)."""
    parts = []
    for size, times in sorted(day.items()):
        key = tuple(times)
        text = _TIMES_JSON.get(key)
        if text is None:
            text = json_codec.dumps(_encode_times(times))
            if len(_TIMES_JSON) < _CACHED_LISTS and len(key) <= _CACHED_TIMES:
                _TIMES_JSON[key] = text
        parts.append(f'"{size}":{text}')
    return "{" + ",".join(parts) + "}"


def check_complete(
    platform: str, requested: Sequence[dt.date], answer: Mapping[dt.date, object]
) -> None:
    """Refuse a payload that lacks requested dates: applying it would invent "no availability"."""
    missing = [d for d in requested if d not in answer]
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:3]) + (" ..." if len(missing) > 3 else "")
        what = "an empty calendar" if len(missing) == len(requested) else f"no data for {shown}"
        raise PlatformMalformedResponse(
            f"{platform} answered the availability calendar with {what}; the previous "
            "snapshot was kept",
            platform=platform,
        )


def replace(
    session: Session,
    answers: Mapping[int, Mapping[dt.date, DayAvailability]],
    fetched_at: dt.datetime,
) -> None:
    """Replace, per connection id, the snapshot of exactly the dates of its answer (inside
    the caller's transaction). A sync writes a batch of connections at once: one DELETE per
    distinct date range and one executemany INSERT, not statements per connection; the
    rows go to the driver prepared (``store/bulk.py``), each date and the instant processed
    once."""
    from sqlalchemy import delete

    from prima_cli.store import bulk
    from prima_cli.store.sync_tables import AvailabilitySnapshot

    table = AvailabilitySnapshot.__table__  # type: ignore[attr-defined]
    by_dates: dict[tuple[dt.date, ...], list[int]] = {}
    for connection_id, answer in answers.items():
        if answer:
            by_dates.setdefault(tuple(answer), []).append(connection_id)
    if not by_dates:
        return
    conn = session.connection()
    for dates, connection_ids in by_dates.items():
        conn.execute(
            delete(table).where(
                table.c.venue_platform_id.in_(connection_ids), table.c.local_date.in_(dates)
            )
        )
    to_date = bulk.processor(conn, table.c.local_date)
    days = {day: to_date(day) for dates in by_dates for day in dates}
    at = bulk.processor(conn, table.c.fetched_at)(fetched_at)
    bulk.executemany(
        conn, _insert(), _COLUMNS,
        [(connection_id, days[day], encode_json(slots), at)
         for connection_id, answer in answers.items() for day, slots in answer.items()],
    )  # fmt: skip


#: the columns :func:`replace` inserts, in its rows' order
_COLUMNS = ("venue_platform_id", "local_date", "slots", "fetched_at")


@functools.cache
def _insert() -> Any:
    """The snapshot INSERT, built once (``bulk`` compiles it once per dialect)."""
    from sqlalchemy import insert

    from prima_cli.store.sync_tables import AvailabilitySnapshot

    return insert(AvailabilitySnapshot.__table__)  # type: ignore[attr-defined]


def count(answer: Mapping[dt.date, DayAvailability]) -> int:
    """How many (date, party size, time) combinations a calendar holds."""
    return sum(len(times) for day in answer.values() for times in day.values())


@dataclass(frozen=True)
class CachedAnswer:
    platform_type: str
    priority: int
    fetched_at: dt.datetime | None  # None: nothing cached for that date
    times: list[str]
    cached_sizes: list[int]  # party sizes the snapshot covers for that date (of those asked)


def cached(
    session: Session, connections: Sequence[tuple[int, str, int]], date: dt.date, party: int
) -> list[CachedAnswer]:
    """Answers from the snapshots of (connection id, platform type, priority) tuples.

    For a platform whose calendar lists every bookable party size, a snapshot of the date
    covers ``party`` even when it has no times for it: that size was not bookable.
    """
    from sqlmodel import select

    from prima_cli.platforms import registry
    from prima_cli.store.sync_tables import AvailabilitySnapshot

    adapters = registry.available()

    answers = []
    for connection_id, platform_type, priority in connections:
        snap = session.exec(
            select(AvailabilitySnapshot).where(
                AvailabilitySnapshot.venue_platform_id == connection_id,
                AvailabilitySnapshot.local_date == date,
            )
        ).first()
        if snap is None:
            answers.append(CachedAnswer(platform_type, priority, None, [], []))
            continue
        sizes = {int(s) for s in snap.slots}
        adapter = adapters.get(platform_type)
        if adapter is not None and adapter.calendar_lists_every_size:
            sizes.add(party)
        answers.append(
            CachedAnswer(
                platform_type,
                priority,
                snap.fetched_at,
                list(snap.slots.get(str(party), [])),
                sorted(sizes),
            )
        )
    return answers
