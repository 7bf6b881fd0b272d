"""`prima report`: every platform's bookings and each platform's health, in one computation.

Each figure is a GROUP BY (or a window-function percentile) over the report columns the
booking state machine keeps on each row (``core/booking_facts.py``) and their covering indexes,
so the database returns aggregates and Python only folds a few thousand grouped rows, however
many bookings the period holds. Sync health is in ``core/report_sync.py``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prima_cli.core.booking_facts import Service
from prima_cli.core.booking_state import AttemptState, BookingStatus
from prima_cli.core.report_sql import day, percentiles
from prima_cli.core.report_values import (
    ATTENTION_LIMIT,
    UPCOMING_DAYS,
    Attention,
    AttentionItem,
    Bookings,
    DayLoad,
    Load,
    LoadSplit,
    Placement,
    PlatformPlacement,
    Report,
    ReportFilters,
    StatusMix,
    VenueInfo,
)
from prima_cli.core.result import OperationResult
from prima_cli.errors import NotFound
from prima_cli.store import report_tables as tables
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from prima_cli.store.store import Store

B, A = BookingStatus, AttemptState
#: statuses of bookings that hold (or held) a table: the load
BOOKED = (B.CONFIRMED.value, B.NO_SHOW.value)
#: attempt states that ended a booking without a platform refusing it
NEVER_PLACED = (A.FAILED.value, A.SKIPPED.value, A.NOT_LANDED.value)
#: cancel reasons by who gave them (``ON_PLATFORM``: the platform said so)
CANCELLED_BY = {
    "ON_PLATFORM": "platform",
    "CHANGED_PLANS": "guest",
    "BOOKED_ANOTHER_PLACE": "guest",
    "OTHER": "operator",
}
NO_PLATFORM = "(none)"  #: the key of bookings no platform was tried for


class _Scope:
    """The filters as SQL conditions, and the venues they name."""

    def __init__(self, conn: Connection, filters: ReportFilters) -> None:
        import sqlalchemy as sa

        v = tables.venues
        rows = conn.execute(sa.select(v.c.id, v.c.slug, v.c.name, v.c.timezone)).all()
        by_ref: dict[str, Any] = {}
        for row in rows:
            by_ref[row.slug] = row
            by_ref[str(row.id)] = row
        wanted = rows
        if filters.venues:
            missing = [ref for ref in filters.venues if ref not in by_ref]
            if missing:
                raise NotFound(
                    f"no venue {missing[0]!r}", hint="see `prima venues list` for ids and slugs"
                )
            wanted = list({by_ref[ref].id: by_ref[ref] for ref in filters.venues}.values())
        wanted = sorted(wanted, key=lambda r: r.slug)
        self.filters = filters
        self.venue_ids = [r.id for r in wanted]
        self.slug = {r.id: r.slug for r in rows}
        self.venues = [VenueInfo(r.slug, r.name, r.timezone) for r in wanted]
        self.zone = {r.id: r.timezone for r in wanted}

    def where(self, table: Any, *, dates: tuple[dt.date, dt.date] | None = None) -> list[Any]:
        """Conditions on a table with ``venue_id``, ``platform_type`` and ``local_date``."""
        start, end = dates or (self.filters.date_from, self.filters.date_to)
        found = [table.c.local_date >= start, table.c.local_date <= end]
        if self.filters.venues:
            found.append(table.c.venue_id.in_(self.venue_ids))
        if self.filters.platforms:
            found.append(table.c.platform_type.in_(self.filters.platforms))
        return found


def build(
    store: Store, filters: ReportFilters, now: dt.datetime | None = None
) -> OperationResult[Report]:
    """The report for ``filters``, read in one transaction (one consistent snapshot where the
    database gives one)."""
    from prima_cli.core import report_sync

    now = now or utcnow()
    with store.engine.connect() as conn, conn.begin():
        scope = _Scope(conn, filters)
        bookings = _bookings(conn, scope, now)
        groups = _groups(conn, scope)
        status, by_venue, by_platform = _status(conn, scope, groups)
        placement = _placement(conn, scope, groups)
        sync = report_sync.health(conn, filters, scope.venues, now)
        attention = _attention(conn, scope, now)
    platforms = sorted(
        {s.key for s in by_platform}
        | {p for p in sync.outcomes}
        | {c.platform_type for c in sync.grid}
    )
    report = Report(
        filters,
        now,
        scope.venues,
        platforms,
        bookings,
        status,
        by_venue,
        by_platform,
        placement,
        sync,
        attention,
    )
    return OperationResult.ok(report)


# --- bookings and covers -------------------------------------------------------------------


def _loads(conn: Connection, scope: _Scope, dates: tuple[dt.date, dt.date]) -> list[Any]:
    import sqlalchemy as sa

    b = tables.bookings
    # the index's order (ix_bookings_report_load); the status is folded away in Python
    keys = (b.c.venue_id, b.c.platform_type, b.c.service, b.c.status, b.c.local_date)
    return list(
        conn.execute(
            sa.select(*keys, sa.func.count(), sa.func.sum(b.c.party_size))
            .where(*scope.where(b, dates=dates), b.c.status.in_(BOOKED))
            .group_by(*keys)
        ).all()
    )


#: grouped load rows: (date, service) -> [bookings, covers], per venue id or platform
Cells = dict[tuple[dt.date, str], list[int]]


def _cells(rows: Iterable[Any]) -> tuple[Cells, dict[Any, Cells], dict[Any, Cells]]:
    """One pass over the grouped rows: the totals, and each venue's and platform's cells."""
    total: Cells = {}
    venues: dict[Any, Cells] = defaultdict(dict)
    platforms: dict[Any, Cells] = defaultdict(dict)
    for venue_id, platform, service, _status, date, count, covers in rows:
        key = (day(date), service)
        for cells in (total, venues[venue_id], platforms[platform]):
            cell = cells.get(key)
            if cell is None:
                cells[key] = [int(count), int(covers or 0)]
            else:
                cell[0] += int(count)
                cell[1] += int(covers or 0)
    return total, venues, platforms


def _days(cells: Cells, days: list[dt.date]) -> list[DayLoad]:
    none = [0, 0]
    return [
        DayLoad(d, Load(*cells.get((d, Service.LUNCH), none)),
                Load(*cells.get((d, Service.DINNER), none)))
        for d in days
    ]  # fmt: skip


def _sum(days: list[DayLoad]) -> tuple[Load, Load]:
    lunch = Load(sum(d.lunch.bookings for d in days), sum(d.lunch.covers for d in days))
    dinner = Load(sum(d.dinner.bookings for d in days), sum(d.dinner.covers for d in days))
    return lunch, dinner


def _bookings(conn: Connection, scope: _Scope, now: dt.datetime) -> Bookings:
    days = scope.filters.days
    total, venues, platforms = _cells(
        _loads(conn, scope, (scope.filters.date_from, scope.filters.date_to))
    )
    todays = {vid: now.astimezone(ZoneInfo(tz)).date() for vid, tz in scope.zone.items()}
    first = min(todays.values(), default=now.date())
    last = max(todays.values(), default=now.date()) + dt.timedelta(days=UPCOMING_DAYS - 1)
    ahead, venues_ahead, platforms_ahead = _cells(
        r
        for r in _loads(conn, scope, (first, last))
        if r[0] in todays and 0 <= (day(r[4]) - todays[r[0]]).days < UPCOMING_DAYS
    )
    coming = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    names = {v.slug: v.name for v in scope.venues}

    def split(cells: dict[Any, Cells], cells_ahead: dict[Any, Cells],
              label: Callable[[Any], tuple[str, str]],
              keys: Iterable[Any]) -> list[LoadSplit]:  # fmt: skip
        found = []
        for key in keys:
            mine = _days(cells.get(key, {}), days)
            lunch, dinner = _sum(mine)
            upcoming = _days(cells_ahead.get(key, {}), coming)
            found.append(LoadSplit(*label(key), mine, lunch, dinner, upcoming))
        return found

    def venue(vid: Any) -> tuple[str, str]:
        return scope.slug[vid], names.get(scope.slug[vid], scope.slug[vid])

    def platform(name: Any) -> tuple[str, str]:
        return (NO_PLATFORM, NO_PLATFORM) if name is None else (str(name), str(name))

    totals = _days(total, days)
    lunch, dinner = _sum(totals)
    return Bookings(totals, lunch, dinner, _days(ahead, coming),
                    split(venues, venues_ahead, venue, scope.venue_ids),
                    split(platforms, platforms_ahead, platform,
                          sorted(set(platforms) | set(platforms_ahead), key=str)))  # fmt: skip


# --- status mix --------------------------------------------------------------------------


def listing_platforms(conn: Connection, scope: _Scope) -> set[str]:
    """Platforms whose reservation statuses a sync in the period read: only through that
    refresh does a no-show reach prima, so elsewhere no-shows are "not reported"."""
    import sqlalchemy as sa

    from prima_cli.core.report_sql import start_of

    r = tables.sync_results
    found = conn.execute(
        sa.select(r.c.platform_type)
        .distinct()
        .where(
            r.c.finished_at >= start_of(scope.filters.date_from - dt.timedelta(days=7)),
            r.c.steps["statuses"]["status"].as_string() == "ok",
        )
    ).scalars()
    return set(found)


def _groups(conn: Connection, scope: _Scope) -> list[Any]:
    """The period's bookings grouped by everything the status mix and placement count: one
    pass over the report index serves both."""
    import sqlalchemy as sa

    b = tables.bookings
    keys = (b.c.venue_id, b.c.platform_type, b.c.status, b.c.attempt_state,
            b.c.platform_status, b.c.cancel_reason, b.c.attempts, b.c.failover)  # fmt: skip
    return list(
        conn.execute(sa.select(*keys, sa.func.count()).where(*scope.where(b)).group_by(*keys))
    )


def _status(
    conn: Connection, scope: _Scope, rows: list[Any]
) -> tuple[StatusMix, list[StatusMix], list[StatusMix]]:
    reporting = listing_platforms(conn, scope)
    total: dict[str, Any] = {}
    venues: dict[Any, dict[str, Any]] = defaultdict(dict)
    platforms: dict[Any, dict[str, Any]] = defaultdict(dict)
    for venue_id, platform, status, state, platform_status, reason, _tries, _moved, count in rows:
        for acc in (total, venues[venue_id], platforms[platform]):
            _count(acc, platform, status, state, platform_status, reason, int(count))

    def mix(key: str, label: str, acc: dict[str, Any]) -> StatusMix:
        seen = acc.pop("platforms", set())
        shows = sorted(seen & reporting)
        cancelled_by = acc.pop("cancelled_by", {})
        no_shows = acc.pop("no_show", None)
        return StatusMix(
            key,
            label,
            cancelled_by=dict(sorted(cancelled_by.items())),
            no_shows=(no_shows or 0) if shows else no_shows,
            no_shows_from=shows,
            **acc,
        )

    names = {v.slug: v.name for v in scope.venues}
    by_venue = [
        mix(scope.slug[k], names.get(scope.slug[k], scope.slug[k]), acc)
        for k, acc in sorted(venues.items(), key=lambda i: scope.slug[i[0]])
    ]
    by_platform = [
        mix(k or NO_PLATFORM, k or NO_PLATFORM, acc)
        for k, acc in sorted(platforms.items(), key=lambda i: str(i[0]))
    ]
    return mix("all", "all", total), by_venue, by_platform


def _count(
    acc: dict[str, Any],
    platform: str | None,
    status: str,
    state: str | None,
    platform_status: str | None,
    reason: str | None,
    count: int,
) -> None:
    acc["total"] = acc.get("total", 0) + count
    if platform is not None:
        acc.setdefault("platforms", set()).add(platform)
    if status == B.CONFIRMED and platform_status == "pending":
        name = "requested"
    elif status == B.REJECTED and state in NEVER_PLACED:
        name = "failed"
    else:
        name = status
    acc[name] = acc.get(name, 0) + count
    if status == B.CANCELLED:
        by = acc.setdefault("cancelled_by", {})
        who = CANCELLED_BY.get(reason or "", "unknown")
        by[who] = by.get(who, 0) + count


# --- placement ---------------------------------------------------------------------------


def _placement(conn: Connection, scope: _Scope, groups: list[Any]) -> Placement:
    import sqlalchemy as sa

    p = tables.platform_reservations
    keys = (p.c.venue_id, p.c.platform_type, p.c.state, p.c.error_type)
    rows = conn.execute(
        sa.select(*keys, sa.func.count()).where(*scope.where(p)).group_by(*keys)
    ).all()
    by_platform = _placements((r[1], r[1], *r[2:]) for r in rows)
    names = {v.slug: v.name for v in scope.venues}
    by_venue = _placements(
        (scope.slug[r[0]], names.get(scope.slug[r[0]], ""), *r[2:])
        for r in rows
        if r[0] in scope.slug
    )

    b = tables.bookings
    per_booking: Counter[str] = Counter()
    placed = failover = 0
    for row in groups:  # (..., attempt state, platform status, reason, tries, failover, n)
        state, count_of, moved, count = row[3], row[6], row[7], row[8]
        if not count_of:
            continue
        per_booking["3+" if count_of >= 3 else str(count_of)] += int(count)
        if state in (A.CONFIRMED, A.CANCELLED):
            placed += int(count)
            failover += int(count) if moved else 0
    overall, by = percentiles(conn, b.c.confirm_ms, [b.c.platform_type], scope.where(b))
    return Placement(
        by_platform,
        by_venue,
        {k: per_booking[k] for k in ("1", "2", "3+") if per_booking[k]},
        placed,
        failover,
        overall,
        {str(k[0]): v for k, v in sorted(by.items(), key=str)},
    )


def _placements(rows: Iterable[tuple[Any, ...]]) -> list[PlatformPlacement]:
    states: dict[str, Counter[str]] = defaultdict(Counter)
    errors: dict[str, Counter[str]] = defaultdict(Counter)
    labels: dict[str, str] = {}
    for key, label, state, error_type, count in rows:
        labels[key] = label
        states[key][state] += int(count)
        if error_type:
            errors[key][error_type] += int(count)
    found = []
    for key in sorted(states):
        s = states[key]
        answered = sum(s.values()) - s[A.SKIPPED] - s[A.UNKNOWN] - s[A.PENDING]
        held = s[A.CONFIRMED] + s[A.CANCELLED]
        found.append(
            PlatformPlacement(
                key,
                labels[key],
                sum(s.values()),
                held,
                held / answered if answered else None,
                dict(sorted(s.items())),
                dict(errors[key].most_common()),
            )
        )
    return found


# --- the attention queue -----------------------------------------------------------------


def _attention(conn: Connection, scope: _Scope, now: dt.datetime) -> Attention:
    import sqlalchemy as sa

    b = tables.bookings
    p = tables.platform_reservations
    # each side through its own index (the state's, and the partial one of flagged attempts)
    ids = sa.union(
        sa.select(p.c.id).where(p.c.state == A.UNKNOWN.value),
        sa.select(p.c.id).where(p.c.attention.is_not(None)),
    ).subquery()
    where = [
        p.c.id.in_(sa.select(ids.c.id)),
        sa.or_(p.c.state == A.UNKNOWN.value, b.c.status != B.CANCELLED.value),
    ]
    if scope.filters.venues:
        where.append(b.c.venue_id.in_(scope.venue_ids))
    if scope.filters.platforms:
        where.append(p.c.platform_type.in_(scope.filters.platforms))
    rows = conn.execute(
        sa.select(
            b.c.reference, b.c.venue_id, p.c.platform_type, p.c.state, b.c.status, p.c.updated_at
        )
        .select_from(p.join(b, b.c.id == p.c.booking_id))
        .where(*where)
        .order_by(p.c.updated_at, b.c.reference)
    ).all()
    count = len({r[0] for r in rows})
    items: dict[str, AttentionItem] = {}
    for reference, venue_id, platform, state, status, since in rows:
        if reference in items or len(items) >= ATTENTION_LIMIT:
            continue
        reason = "unknown" if state == A.UNKNOWN else "flagged"
        items[reference] = AttentionItem(
            reference,
            scope.slug.get(venue_id, "?"),
            platform,
            reason,
            status,
            since,
            max(0, int((now - since).total_seconds())),
        )
    return Attention(int(count), list(items.values()))
