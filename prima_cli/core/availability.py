"""Asking a venue's enabled connections for bookable slots, concurrently."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from prima_cli.core import booking_rules as rules
from prima_cli.core import snapshots
from prima_cli.core import targets as targets_core
from prima_cli.core import venues as venues_core
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.platform_calls import open_client, run
from prima_cli.errors import InvalidInput, NotFound, PlatformUnsupported, PrimaError

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
    store: Store, venue_ref: str, *, date: dt.date, party_size: int,
    platform_type: str | None = None,
) -> CachedVenueAvailability:  # fmt: skip
    """Bookable times from the last sync's snapshots, without calling any platform."""
    rules.require_party(party_size)
    with store.session() as session:
        venue, rows = _enabled(session, venue_ref, platform_type)
        answers = snapshots.cached(
            session, [(r.id or 0, r.platform_type, r.priority) for r in rows], date, party_size
        )
        return CachedVenueAvailability(venue.slug, venue.timezone, date, party_size, answers)


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
    date: dt.date,
    party_size: int,
    http: HttpOptions,
    platform_type: str | None = None,
) -> VenueAvailability:
    """Bookable slots per enabled connection; a failing platform is a result, not a crash."""
    rules.require_party(party_size)
    slug, timezone, targets = _targets(store, venue_ref, platform_type)
    today = dt.datetime.now(ZoneInfo(timezone)).date()
    if date < today:
        raise InvalidInput(f"{date} is in the past at the venue (today is {today} in {timezone})")

    async def ask_all() -> list[PlatformAvailability]:
        async with open_client(http) as client:
            return list(await asyncio.gather(*(_ask(t, client, date, party_size) for t in targets)))

    return VenueAvailability(slug, timezone, date, party_size, run(ask_all()))
