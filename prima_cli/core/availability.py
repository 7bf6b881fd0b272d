"""Asking a venue's enabled connections for bookable slots, concurrently, or answering from
the last sync's snapshots; what each platform said, as `prima bookings availability` reports
it."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from prima_cli.core import booking_rules as rules
from prima_cli.core import dates, snapshots
from prima_cli.core import targets as targets_core
from prima_cli.core import venues as venues_core
from prima_cli.core.dates import DateSpec
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.core.result import OperationResult
from prima_cli.errors import (
    InvalidInput,
    NotFound,
    PlatformUnsupported,
    PrimaError,
    batch_exit_code,
    batch_failed,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.platforms.contract import Slot
    from prima_cli.store.models import Venue, VenuePlatform
    from prima_cli.store.store import Store


@dataclass(frozen=True)
class PlatformAvailability:
    """One connection's answer: slots, "not offered by this platform", or an error."""

    platform_type: str
    priority: int
    slots: list[Slot] = field(default_factory=list)
    unsupported: bool = False
    error: PrimaError | None = None


@dataclass(frozen=True)
class VenueAvailability:
    venue_slug: str
    timezone: str
    date: dt.date
    party_size: int
    platforms: list[PlatformAvailability]  # in priority order


@dataclass(frozen=True)
class CachedVenueAvailability:
    venue_slug: str
    timezone: str
    date: dt.date
    party_size: int
    answers: list[snapshots.CachedAnswer]


def cached_availability(
    store: Store, venue_ref: str, *, date: dt.date | DateSpec, party_size: int,
    platform_type: str | None = None,
) -> CachedVenueAvailability:  # fmt: skip
    """Bookable times from the last sync's snapshots, without calling any platform."""
    rules.require_party(party_size)
    with store.session() as session:
        venue, rows = _enabled(session, venue_ref, platform_type)
        date = _day(date, venue.timezone)
        answers = snapshots.cached(
            session, [(r.id or 0, r.platform_type, r.priority) for r in rows], date, party_size
        )
        return CachedVenueAvailability(venue.slug, venue.timezone, date, party_size, answers)


def _day(date: dt.date | DateSpec, timezone: str) -> dt.date:
    return date.in_zone(timezone) if isinstance(date, DateSpec) else date


def at_time(answer: PlatformAvailability, time: dt.time, count: int = 3) -> list[dt.time]:
    """The ``count`` bookable times nearest to ``time`` (``time`` itself first if bookable)."""
    minutes = time.hour * 60 + time.minute
    times = sorted({s.time for s in answer.slots})
    times.sort(key=lambda t: (abs(t.hour * 60 + t.minute - minutes), t))
    return times[:count]


def _enabled(
    session: Session, venue_ref: str, platform_type: str | None
) -> tuple[Venue, list[VenuePlatform]]:
    """The venue and its enabled connections in priority order; none is its own error."""
    venue = venues_core.find(session, venue_ref)
    query = targets_core.connections_query(venue_ids=[venue.id], platform_type=platform_type)
    rows = [row for row, _venue in session.exec(query).all()]
    if not rows:
        which = f"enabled {platform_type} connection" if platform_type else "enabled platform"
        raise NotFound(
            f"venue {venue.slug} has no {which} configured",
            hint=f"connect one with `prima platforms add {venue.slug} TYPE ...`",
        )
    return venue, rows


def _targets(store: Store, venue_ref: str, platform_type: str | None) -> tuple[str, str, list]:
    with store.session() as session:
        venue, rows = _enabled(session, venue_ref, platform_type)
        return venue.slug, venue.timezone, targets_core.resolve((row, venue) for row in rows)


async def _ask(
    target: targets_core.Target, client: object, date: dt.date, party_size: int
) -> PlatformAvailability:
    ptype, priority = target.platform_type, target.priority
    if target.adapter is None or target.connection is None:
        return PlatformAvailability(ptype, priority, error=target.error)
    try:
        adapter = target.adapter(client)  # type: ignore[arg-type]
        slots = await adapter.check_availability(target.connection, date, None, party_size)
    except PlatformUnsupported:
        return PlatformAvailability(ptype, priority, unsupported=True)
    except PrimaError as err:
        return PlatformAvailability(ptype, priority, error=err)
    return PlatformAvailability(ptype, priority, sorted(slots, key=lambda s: (s.date, s.time)))


def venue_availability(
    store: Store,
    venue_ref: str,
    *,
    date: dt.date | DateSpec,
    party_size: int,
    http: HttpOptions,
    platform_type: str | None = None,
) -> VenueAvailability:
    """Bookable slots per enabled connection; a failing platform is a result, not a crash.
    A relative ``date`` (``tomorrow``) is counted in the venue's time zone."""
    rules.require_party(party_size)
    slug, timezone, targets = _targets(store, venue_ref, platform_type)
    date = _day(date, timezone)
    today = dt.datetime.now(ZoneInfo(timezone)).date()
    if date < today:
        raise InvalidInput(f"{date} is in the past at the venue (today is {today} in {timezone})")

    async def ask_all() -> list[PlatformAvailability]:
        async with open_client(http, store) as client:
            return list(await asyncio.gather(*(_ask(t, client, date, party_size) for t in targets)))

    return VenueAvailability(slug, timezone, date, party_size, run(ask_all()))


# --- what `prima bookings availability` reports ------------------------------------------


class AnswerStatus(StrEnum):
    """How one platform answered."""

    OK = "ok"
    UNSUPPORTED = "unsupported"  #: the platform offers no availability look-up
    ERROR = "error"


@dataclass(frozen=True)
class PlatformAnswer:
    """One connection's answer, as reported: its bookable times and, for a time asked
    about, whether it is bookable and the nearest alternatives."""

    platform_type: str
    priority: int
    status: AnswerStatus
    times: list[str]  # HH:MM
    bookable: bool | None  # None: no time asked, or the platform could not answer
    alternatives: list[str]  # HH:MM, nearest first by time of day
    error: PrimaError | None = None


@dataclass(frozen=True)
class AvailabilityReport:
    venue_slug: str
    timezone: str
    date: dt.date
    party_size: int
    time: str | None  # the time asked about, as given
    platforms: list[PlatformAnswer]  # in priority order


def _reported(answer: PlatformAvailability, at: dt.time | None) -> PlatformAnswer:
    nearest = at_time(answer, at) if at else []
    status = (AnswerStatus.UNSUPPORTED if answer.unsupported
              else AnswerStatus.ERROR if answer.error else AnswerStatus.OK)  # fmt: skip
    answered = status == AnswerStatus.OK
    return PlatformAnswer(
        platform_type=answer.platform_type,
        priority=answer.priority,
        status=status,
        times=[s.time.strftime("%H:%M") for s in answer.slots],
        bookable=(at in {s.time for s in answer.slots}) if at and answered else None,
        alternatives=[t.strftime("%H:%M") for t in nearest if t != at],
        error=answer.error,
    )


@dataclass(frozen=True)
class AvailabilityQuery:
    """What `prima bookings availability` asks, its dates and times parsed."""

    venue: str
    date: DateSpec  # relative dates are counted in the venue's zone
    party_size: int
    time: dt.time | None  # a time to check, with alternatives
    time_text: str | None  # that time as given
    platform_type: str | None = None  # only this platform

    @classmethod
    def parse(cls, venue: str, *, date: str, party_size: int, time: str | None,
              platform_type: str | None = None) -> AvailabilityQuery:  # fmt: skip
        """The query of a command line's options (the date and time checked now)."""
        day = dates.parse(date)
        at = rules.parse_time(time) if time else None
        return cls(venue, day, party_size, at, time, platform_type)


def check(
    store: Store, query: AvailabilityQuery, http: HttpOptions
) -> OperationResult[AvailabilityReport]:
    """Ask the venue's enabled platforms what the party can book that day (and whether the
    time asked is bookable). A platform that fails is part of the answer; when none could
    answer, the result carries the first error and the batch's exit code."""
    found = venue_availability(store, query.venue, date=query.date,
                               party_size=query.party_size, http=http,
                               platform_type=query.platform_type)  # fmt: skip
    answers = [_reported(a, query.time) for a in found.platforms]
    report = AvailabilityReport(found.venue_slug, found.timezone, found.date, query.party_size,
                                query.time_text, answers)  # fmt: skip
    failed = [(a.platform_type, a.error) for a in found.platforms if a.error is not None]
    if failed and len(failed) == len(found.platforms):  # nobody could answer: say so
        code = batch_exit_code([err for _, err in failed], len(failed))
        first = failed[0][1]
        # failing alike, the first error is the answer's; else one error of the exit code
        error = first if code == first.exit_code else batch_failed(
            "no platform could answer: " + "; ".join(f"{ptype}: {err.message}"
                                                     for ptype, err in failed),
            code, hint="each platform's error is in `platforms`")  # fmt: skip
        return OperationResult(report, outcome=code, error=error)
    return OperationResult.ok(report)


@dataclass(frozen=True)
class CachedPlatformAnswer:
    """One connection's answer from the last sync's snapshot."""

    platform_type: str
    priority: int
    fetched_at: dt.datetime | None  # None: nothing cached for that date
    age_seconds: int | None
    cached: bool  # the snapshot covers this party size
    times: list[str]  # HH:MM
    bookable: bool | None  # None: no time asked, or nothing cached


@dataclass(frozen=True)
class CachedAvailabilityReport:
    venue_slug: str
    timezone: str
    date: dt.date
    party_size: int
    time: str | None  # HH:MM
    platforms: list[CachedPlatformAnswer]


def check_cached(
    store: Store, query: AvailabilityQuery
) -> OperationResult[CachedAvailabilityReport]:
    """What the last sync cached for the party that day; no platform is called."""
    from prima_cli.store.types import utcnow

    found = cached_availability(store, query.venue, date=query.date,
                                party_size=query.party_size,
                                platform_type=query.platform_type)  # fmt: skip
    now = utcnow()
    hhmm = query.time.strftime("%H:%M") if query.time else None
    answers = [
        CachedPlatformAnswer(
            platform_type=a.platform_type,
            priority=a.priority,
            fetched_at=a.fetched_at,
            age_seconds=round((now - a.fetched_at).total_seconds()) if a.fetched_at else None,
            cached=a.fetched_at is not None and query.party_size in a.cached_sizes,
            times=a.times,
            bookable=(hhmm in a.times) if hhmm and a.fetched_at else None,
        )
        for a in found.answers
    ]
    return OperationResult.ok(CachedAvailabilityReport(
        found.venue_slug, found.timezone, found.date, query.party_size, hhmm, answers))  # fmt: skip
