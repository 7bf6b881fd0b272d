"""Reading bookings: the list (keyset pages, built from columns) and one booking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.core import booking_records as rec
from prima_cli.core import dates
from prima_cli.core import venues as venues_core
from prima_cli.core.paging import Page
from prima_cli.core.result import OperationResult
from prima_cli.errors import InvalidInput

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.store import Store


@dataclass(frozen=True)
class BookingFilter:
    """Which bookings a list shows (the options of `prima bookings list`)."""

    venue: str | None = None
    status: str | None = None
    platform: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    limit: int = 50
    #: rows of the selection skipped first (the next page starts at offset + limit)
    offset: int = 0


def list_all(store: Store, flt: BookingFilter) -> OperationResult[Page[rec.BookingInfo]]:
    """The page of bookings ``flt`` selects, by start time, read as they are shown (the
    filter is checked before the result is returned), with how many the selection holds."""
    items = iter_bookings(store, flt)
    return OperationResult.ok(Page(items, _count(store, flt), flt.offset, flt.limit))


def _count(store: Store, flt: BookingFilter) -> int:
    """How many bookings ``flt`` selects: the same conditions, counted on the bookings table
    alone (no join, no columns), so a count of every row costs a scan of one index."""
    from sqlalchemy import func, select

    from prima_cli.store.booking_tables import Booking

    table = Booking.__table__  # type: ignore[attr-defined]
    with store.session() as session:
        query = select(func.count()).select_from(table).where(*_conditions(session, flt))
        return int(session.execute(query).scalar_one())


def list_bookings(store: Store, flt: BookingFilter) -> list[rec.BookingInfo]:
    """The bookings ``flt`` selects, by start time, all in memory."""
    return list(iter_bookings(store, flt))


def iter_bookings(
    store: Store, flt: BookingFilter, *, page_size: int = 1000
) -> Iterator[rec.BookingInfo]:
    """Bookings by start time, read page by page (keyset), so memory does not grow with the
    number of rows. Built from columns, not ORM entities; attempts come without raw responses
    (``show`` has those). Every argument is checked before anything is returned."""
    if flt.status is not None and flt.status not in rec.BOOKING_STATUSES:
        raise InvalidInput(f"--status must be one of {', '.join(rec.BOOKING_STATUSES)}")
    if not 1 <= flt.limit <= 10_000:
        raise InvalidInput("--limit must be between 1 and 10000")
    if flt.offset < 0:
        raise InvalidInput("--offset must be 0 or more")
    with store.session() as session:
        _selection(session, flt)  # every option checked before the first row is asked for
    return _pages(store, flt, page_size)


def _selection(session: Session, flt: BookingFilter) -> Any:
    """The SELECT of the bookings ``flt`` picks (unordered, every row)."""
    from sqlalchemy import select

    from prima_cli.store.booking_tables import Booking
    from prima_cli.store.models import Venue

    venues_table = Venue.__table__  # type: ignore[attr-defined]
    b = Booking.__table__.c  # type: ignore[attr-defined]
    query = select(*booking_columns(b, venues_table.c))
    return query.join(venues_table, venues_table.c.id == b.venue_id).where(
        *_conditions(session, flt)
    )


def _conditions(session: Session, flt: BookingFilter) -> list[Any]:
    """The WHERE conditions on the bookings table that ``flt`` asks for (checked)."""
    from sqlalchemy import select

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    start_spec = dates.parse(flt.date_from, option="--from") if flt.date_from else None
    end_spec = dates.parse(flt.date_to, option="--to") if flt.date_to else None
    venue = venues_core.find(session, flt.venue) if flt.venue is not None else None
    zone = venue.timezone if venue is not None else None  # relative dates count there
    start = start_spec.in_zone(zone) if start_spec else None
    end = end_spec.in_zone(zone) if end_spec else None
    if start and end and end < start:
        raise InvalidInput("--to is before --from")
    b = Booking.__table__.c  # type: ignore[attr-defined]
    r = PlatformReservation.__table__.c  # type: ignore[attr-defined]
    conditions: list[Any] = []
    if venue is not None:
        conditions.append(b.venue_id == venue.id)
    if flt.status is not None:
        conditions.append(b.status == flt.status)
    if start is not None:
        conditions.append(b.local_date >= start)
    if end is not None:
        conditions.append(b.local_date <= end)
    if flt.platform is not None:
        conditions.append(b.id.in_(select(r.booking_id).where(r.platform_type == flt.platform)))
    return conditions


def _pages(store: Store, flt: BookingFilter, page_size: int) -> Iterator[rec.BookingInfo]:
    from sqlalchemy import and_, or_

    from prima_cli.store.booking_tables import Booking, PlatformReservation

    b = Booking.__table__.c  # type: ignore[attr-defined]
    r = PlatformReservation.__table__.c  # type: ignore[attr-defined]
    # One session, but one snapshot across pages only on MariaDB (repeatable read). On
    # PostgreSQL (read committed) and SQLite (pysqlite begins transactions only before
    # writes) each page is its own snapshot, which keyset paging tolerates: no row is
    # listed twice, and only rows written meanwhile can appear or be missed.
    with store.session() as session:
        query = _selection(session, flt)
        remaining, after = flt.limit, None
        while remaining > 0:
            page = query
            if after is not None:
                page = page.where(
                    or_(b.starts_at > after[0], and_(b.starts_at == after[0], b.id > after[1]))
                )
            else:
                page = page.offset(flt.offset)  # the keyset takes over from the first page
            result = session.execute(
                page.order_by(b.starts_at, b.id).limit(min(page_size, remaining))
            )
            names = tuple(result.keys())  # BookingInfo's field names (the columns' labels)
            rows = result.all()
            if not rows:
                return
            # the page's attempts by explicit ids: a join lets PostgreSQL pick a hash join
            # over every attempt in the table, which reads far more than the page needs
            attempts = _attempts_of_page(session, r, [row.id for row in rows])
            for row in rows:  # zipped with the labels: a row's mapping view costs more
                fields = dict(zip(names, row, strict=True))
                yield rec.BookingInfo(**fields, attempts=attempts.get(fields["id"], []))
            remaining -= len(rows)
            after = (rows[-1].starts_at, rows[-1].id)


def booking_columns(b: Any, v: Any) -> list[Any]:
    """``BookingInfo``'s fields but the attempts and events, each labelled with its name."""
    return [
        v.slug.label("venue_slug"),
        *(getattr(b, column).label(field) for field, column in rec.BOOKING_FIELDS.items()),
    ]


def attempt_columns(r: Any) -> list[Any]:
    """``AttemptInfo``'s fields, labelled (without raw responses and whole errors: ``show``
    has those)."""
    from sqlalchemy import null

    heavy = ("raw_response", "error_details")
    return [null().label(field) if field in heavy else getattr(r, column).label(field)
            for field, column in rec.ATTEMPT_FIELDS.items()]  # fmt: skip


def _attempts_of_page(session: Session, r: Any, ids: list[int]) -> dict[int, list[Any]]:
    from sqlalchemy import Integer, any_, bindparam, select

    if session.get_bind().dialect.name == "postgresql":
        # one array parameter: a thousand-item IN list costs more to render and parse
        # than the query takes to run
        from sqlalchemy.dialects.postgresql import ARRAY

        mine = r.booking_id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    else:
        mine = r.booking_id.in_(ids)
    grouped: dict[int, list[Any]] = {}
    result = session.execute(
        select(r.booking_id, *attempt_columns(r)).where(mine).order_by(r.booking_id, r.attempt)
    )
    names = tuple(result.keys())[1:]  # AttemptInfo's field names, after the booking's id
    for booking_id, *values in result:
        grouped.setdefault(booking_id, []).append(
            rec.AttemptInfo(**dict(zip(names, values, strict=True)))
        )
    return grouped


def show(store: Store, ref: str) -> OperationResult[rec.BookingInfo]:
    """One booking with its attempts and audit trail."""
    with store.session() as session:
        return OperationResult.ok(rec.info(session, rec.find_booking(session, ref),
                                           with_events=True))  # fmt: skip
