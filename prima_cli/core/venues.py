"""Venues: add, list, show, edit, remove. A venue is referred to by id or slug."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prima_cli.core.ids import as_id
from prima_cli.core.result import OperationResult
from prima_cli.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.models import Venue
    from prima_cli.store.store import Store

SLUG_MAX = 100
_SLUG_OK = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class VenueInfo:
    id: int
    name: str
    slug: str
    timezone: str
    country: str | None
    connections: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class VenueChanges:
    name: str | None = None
    slug: str | None = None
    timezone: str | None = None
    country: str | None = None  # "" clears it


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-")


def validate_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("the venue name is empty")
    if len(name) > 200:
        raise InvalidInput("the venue name is longer than 200 characters")
    return name


def validate_slug(slug: str) -> str:
    if not _SLUG_OK.match(slug) or len(slug) > SLUG_MAX:
        raise InvalidInput(
            f"invalid slug {slug!r}",
            hint="use lowercase letters, digits and single hyphens, e.g. casa-pepe",
        )
    if slug.isdigit():
        raise InvalidInput(
            f"invalid slug {slug!r}: a slug cannot be all digits (it would read as an id)"
        )
    return slug


#: longer than any IANA time zone name (the longest is about 30 characters)
TIMEZONE_MAX = 64


def validate_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if len(name) > TIMEZONE_MAX:
        raise InvalidInput(
            f"unknown time zone: {len(name)} characters, longer than any IANA name",
            hint="use an IANA name such as Europe/Madrid or America/New_York",
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the OS refuses
        raise InvalidInput(
            f"unknown time zone {name!r}",
            hint="use an IANA name such as Europe/Madrid or America/New_York",
        ) from None
    return name


def validate_country(code: str) -> str:
    import phonenumbers

    upper = code.strip().upper()
    if upper not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(
            f"unknown country code {code!r}",
            hint="use an ISO 3166 alpha-2 code such as ES, GB or US",
        )
    return upper


def find(session: Session, ref: str) -> Venue:
    """The venue whose id or slug is ``ref`` (exit 3 when none)."""
    from sqlmodel import select

    from prima_cli.store.models import Venue

    ref = ref.strip()
    venue_id = as_id(ref)
    venue = session.get(Venue, venue_id) if venue_id is not None else None
    if venue is None:
        venue = session.exec(select(Venue).where(Venue.slug == ref)).first()
    if venue is None:
        raise NotFound(f"no venue {ref!r}", hint="see `prima venues list`")
    return venue


def _info(session: Session, venue: Venue) -> VenueInfo:
    from sqlalchemy import func
    from sqlmodel import select

    from prima_cli.store.models import VenuePlatform

    count = session.exec(
        select(func.count()).select_from(VenuePlatform).where(VenuePlatform.venue_id == venue.id)
    ).one()
    assert venue.id is not None
    return VenueInfo(
        venue.id,
        venue.name,
        venue.slug,
        venue.timezone,
        venue.country,
        int(count),
        venue.created_at,
        venue.updated_at,
    )


def _slug_taken(session: Session, slug: str, *, except_id: int | None = None) -> bool:
    from sqlmodel import select

    from prima_cli.store.models import Venue

    found = session.exec(select(Venue.id).where(Venue.slug == slug)).first()
    return found is not None and found != except_id


def _unique_slug(session: Session, base: str) -> str:
    candidate, n = base, 2
    while _slug_taken(session, candidate):
        suffix = f"-{n}"
        candidate = base[: SLUG_MAX - len(suffix)] + suffix
        n += 1
    return candidate


def add(
    store: Store,
    name: str,
    *,
    slug: str | None = None,
    timezone: str = "UTC",
    country: str | None = None,
) -> OperationResult[VenueInfo]:
    """Add a venue; an explicit slug must be free (exit 4), a derived one gets a suffix."""
    from sqlalchemy.exc import IntegrityError

    from prima_cli.store.models import Venue

    name = validate_name(name)
    timezone = validate_timezone(timezone)
    country = validate_country(country) if country else None
    explicit = slug is not None
    if slug is not None:
        slug = validate_slug(slug)
    else:
        slug = slugify(name)
        if not slug or slug.isdigit():
            raise InvalidInput(f"cannot derive a slug from {name!r}", hint="pass --slug explicitly")
    try:
        with store.session() as session:
            if explicit and _slug_taken(session, slug):
                raise Conflict(
                    f"a venue with slug {slug!r} already exists",
                    hint="choose another --slug or see `prima venues show " + slug + "`",
                )
            if not explicit:
                slug = _unique_slug(session, slug)
            venue = Venue(name=name, slug=slug, timezone=timezone, country=country)
            session.add(venue)
            session.flush()
            return OperationResult.ok(_info(session, venue))
    except IntegrityError:
        # another process took the slug between our check and the insert
        raise Conflict(f"a venue with slug {slug!r} already exists") from None


def list_all(store: Store) -> OperationResult[list[VenueInfo]]:
    from sqlalchemy import func
    from sqlalchemy import select as sa_select
    from sqlmodel import col, select

    from prima_cli.store.models import Venue, VenuePlatform

    with store.session() as session:
        counts = dict(
            session.exec(
                select(VenuePlatform.venue_id, func.count()).group_by(col(VenuePlatform.venue_id))
            ).all()
        )
        # columns, not entities: listing builds no ORM objects
        table = Venue.__table__.c  # type: ignore[attr-defined]
        rows = session.execute(
            sa_select(
                table.id, table.name, table.slug, table.timezone, table.country,
                table.created_at, table.updated_at,
            ).order_by(table.slug)
        ).all()  # fmt: skip
        return OperationResult.ok(
            [
                VenueInfo(
                    vid or 0, name, slug, tz, country, int(counts.get(vid or 0, 0)), made, changed
                )
                for vid, name, slug, tz, country, made, changed in rows
            ]
        )


def show(store: Store, ref: str) -> OperationResult[VenueInfo]:
    with store.session() as session:
        return OperationResult.ok(_info(session, find(session, ref)))


def edit(store: Store, ref: str, changes: VenueChanges) -> OperationResult[VenueInfo]:
    from sqlalchemy.exc import IntegrityError

    from prima_cli.store.types import utcnow

    if all(v is None for v in (changes.name, changes.slug, changes.timezone, changes.country)):
        raise InvalidInput("nothing to change", hint="pass --name, --slug, --timezone or --country")
    name = validate_name(changes.name) if changes.name is not None else None
    slug = validate_slug(changes.slug) if changes.slug is not None else None
    timezone = validate_timezone(changes.timezone) if changes.timezone is not None else None
    country = changes.country
    if country:
        country = validate_country(country)
    try:
        with store.session() as session:
            venue = find(session, ref)
            if slug is not None and _slug_taken(session, slug, except_id=venue.id):
                raise Conflict(f"a venue with slug {slug!r} already exists")
            if name is not None:
                venue.name = name
            if slug is not None:
                venue.slug = slug
            if timezone is not None:
                venue.timezone = timezone
            if country is not None:
                venue.country = country or None
            venue.updated_at = utcnow()
            session.add(venue)
            session.flush()
            return OperationResult.ok(_info(session, venue))
    except IntegrityError:
        raise Conflict(f"a venue with slug {slug!r} already exists") from None


def remove(store: Store, ref: str, *, force: bool = False) -> OperationResult[VenueInfo]:
    """Delete the venue; its connections and bookings go with it (ON DELETE CASCADE).

    Refused while live bookings (not cancelled, not rejected, not past) exist, unless forced.
    """
    from prima_cli.core.booking_records import left_on_platform, live_references

    with store.session() as session:
        venue = find(session, ref)
        references = live_references(session, venue_id=venue.id)
        if references and not force:
            raise Conflict(
                f"venue {venue.slug} has {len(references)} live booking(s)",
                hint="cancel them first, or pass --force to remove the venue and its bookings",
            )
        info = _info(session, venue)
        session.delete(venue)
        return OperationResult.ok(info, [left_on_platform(references)] if references else [])
