"""A realistic past for a store: weeks of bookings and sync runs, written in bulk.

`prima demo` seeds its venues with it, so that the report it ends with is full at once, and
the report benchmark seeds 100,000 bookings with the same code. Lunch and dinner at each venue,
busier at weekends; most bookings confirmed, some cancelled (on the platform, or through prima
with the guest's reason), rejected, failed, waitlisted, awaiting the restaurant, a few
no-shows where the platform reports them and a few whose outcome is unknown; failover where a
venue has two platforms; hourly sync runs with the odd outage and rate limit. The guests are
placeholders (``Guest 000123``, ``example.invalid`` addresses): nothing here is anyone's data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prima_cli.core.booking_facts import AttemptFact, confirm_ms, facts
from prima_cli.core.sync_records import STEPS
from prima_cli.errors import PlatformRateLimited, PlatformUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

CHUNK = 5_000
LUNCH_TIMES = [dt.time(h, m) for h in (13, 14) for m in (0, 15, 30, 45)]
DINNER_TIMES = [dt.time(h, m) for h in (20, 21, 22) for m in (0, 15, 30, 45)]
PARTIES = (1, 2, 2, 2, 2, 3, 4, 4, 5, 6, 8)
#: status (booking, latest attempt state, platform status, cancel reason) and its weight
OUTCOMES = (
    (("confirmed", "confirmed", "confirmed", None), 78),
    (("confirmed", "confirmed", "pending", None), 3),
    (("cancelled", "cancelled", "cancelled", "ON_PLATFORM"), 4),
    (("cancelled", "cancelled", "cancelled", "CHANGED_PLANS"), 3),
    (("cancelled", "cancelled", "cancelled", "OTHER"), 1),
    (("rejected", "rejected", None, None), 3),
    (("rejected", "failed", None, None), 2),
    (("waitlisted", "confirmed", "waitlist", None), 2),
    (("no_show", "confirmed", "no_show", None), 2),
    (("unknown", "unknown", None, None), 1),
)
#: platforms that report reservation statuses (the others cannot report a no-show)
LISTS_STATUSES = ("covermanager",)


@dataclass(frozen=True)
class HistoryVenue:
    """A venue to give a past: its id, slug, time zone and connections in priority order
    (connection id, platform type)."""

    venue_id: int
    slug: str
    timezone: str
    connections: tuple[tuple[int, str], ...]


@dataclass
class History:
    bookings: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[list[dict[str, Any]]] = field(default_factory=list)  # per booking
    runs: list[dict[str, Any]] = field(default_factory=list)
    results: list[list[dict[str, Any]]] = field(default_factory=list)  # per run


def _outcome(rng: random.Random, platform: str, past: bool) -> tuple[Any, ...]:
    population, weights = zip(*OUTCOMES, strict=True)
    status = rng.choices(population, weights)[0]
    if status[0] == "no_show" and (platform not in LISTS_STATUSES or not past):
        return OUTCOMES[0][0]
    return status


def bookings(
    venues: Sequence[HistoryVenue],
    first: dt.date,
    days: int,
    per_service: int,
    now: dt.datetime,
    rng: random.Random,
    tag: str,
) -> History:
    """About ``per_service`` bookings per lunch and dinner service (more at weekends) at each
    venue for ``days`` venue-local days from ``first``."""
    history = History()
    n = 0
    for venue in venues:
        zone = ZoneInfo(venue.timezone)
        for offset in range(days):
            date = first + dt.timedelta(days=offset)
            busy = 1.6 if date.weekday() >= 4 else 1.0
            for times, share in ((LUNCH_TIMES, 0.7), (DINNER_TIMES, 1.0)):
                for _ in range(max(0, round(rng.gauss(per_service * share * busy, 2)))):
                    n += 1
                    _booking(
                        history, venue, date, rng.choice(times), zone, now, rng, f"PRM-{tag}{n:07d}"
                    )
    return history


def _booking(
    history: History,
    venue: HistoryVenue,
    date: dt.date,
    time: dt.time,
    zone: ZoneInfo,
    now: dt.datetime,
    rng: random.Random,
    reference: str,
) -> None:
    starts = dt.datetime.combine(date, time, zone).astimezone(dt.UTC)
    created = min(now, starts - dt.timedelta(hours=rng.uniform(2, 24 * 20)))
    tries = [venue.connections[0]]
    if len(venue.connections) > 1 and rng.random() < 0.12:
        tries.append(venue.connections[1])  # the first platform was down or full: failover
    status, state, platform_status, reason = _outcome(rng, tries[-1][1], starts < now)
    attempts: list[AttemptFact] = []
    rows: list[dict[str, Any]] = []
    for number, (connection_id, platform) in enumerate(tries, start=1):
        last = number == len(tries)
        a_state = state if last else rng.choice(("failed", "skipped"))
        error = (
            None
            if a_state not in ("failed", "rejected")
            else (PlatformUnavailable.type if a_state == "failed" else "platform_rejected")
        )
        attempts.append(AttemptFact(number, platform, a_state, platform_status if last else None))
        rows.append(
            {
                "venue_platform_id": connection_id,
                "platform_type": platform,
                "attempt": number,
                "idempotency_key": f"{reference}-{number}",
                "state": a_state,
                "external_id": f"h{reference[4:]}-{number}"
                if a_state in ("confirmed", "cancelled", "unknown")
                else None,
                "raw_status": None,
                "status": platform_status if last else None,
                "error_type": error,
                "error_message": None
                if error is None
                else "the platform did not answer"
                if a_state == "failed"
                else "no table at that time",
                "attention": None,
                "owner": None,
                "requested_at": created,
                "created_at": created,
                "updated_at": created,
                "venue_id": venue.venue_id,
                "local_date": date,
            }
        )
    confirmed = status in ("confirmed", "cancelled", "no_show") and state != "rejected"
    history.bookings.append(
        {
            "reference": reference,
            "idempotency_key": None,
            "fingerprint": reference.ljust(64, "0"),
            "venue_id": venue.venue_id,
            "local_date": date,
            "local_time": time,
            "timezone": venue.timezone,
            "starts_at": starts,
            "party_size": rng.choice(PARTIES),
            "first_name": "Guest",
            "last_name": reference[-6:],
            "email": f"{reference.lower()}@example.invalid",
            "phone_e164": "+34600" + reference[-6:],
            "notes": "",
            "force": False,
            "requested_platform": None,
            "status": status,
            "status_detail": "seeded history",
            "cancel_reason": reason,
            "cancelled_at": created if status == "cancelled" else None,
            "created_at": created,
            "updated_at": created,
            "version": 1,
            **facts(time, attempts),
            "confirm_ms": confirm_ms(
                created, created + dt.timedelta(milliseconds=rng.lognormvariate(6.6, 0.5))
            )
            if confirmed
            else None,
        }
    )
    history.attempts.append(rows)


def sync_runs(
    venues: Sequence[HistoryVenue],
    start: dt.datetime,
    end: dt.datetime,
    every: dt.timedelta,
    rng: random.Random,
    history: History,
) -> None:
    """A sync run every ``every`` from ``start`` to ``end`` over every connection, with the odd
    outage (one platform has a bad day) and rate limit."""
    connections = [(v, c) for v in venues for c in v.connections]
    bad_day = start.date() + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))
    at = start
    while at < end:
        results = []
        for venue, (connection_id, platform) in connections:
            roll = rng.random()
            outage = at.date() == bad_day and platform == connections[-1][1][1]
            error = (
                PlatformUnavailable.type
                if roll < (0.45 if outage else 0.03)
                else PlatformRateLimited.type
                if roll < (0.46 if outage else 0.04)
                else None
            )
            steps_ms = {s: round(rng.lognormvariate(4.2, 0.45)) for s in STEPS}
            total = sum(steps_ms.values()) + rng.randrange(5, 30)
            results.append(
                {
                    "venue_platform_id": connection_id,
                    "venue_slug": venue.slug,
                    "platform_type": platform,
                    "status": "failed" if error else "ok",
                    "steps": {"auth": "failed"}
                    if error
                    else {
                        "auth": "credentials accepted",
                        "statuses": {
                            "status": "ok" if platform in LISTS_STATUSES else "unsupported"
                        },
                    },
                    "error_type": error,
                    "error_message": None
                    if error is None
                    else "the platform did not answer in time"
                    if error == PlatformUnavailable.type
                    else "too many requests",
                    "duration_ms": total,
                    "finished_at": at + dt.timedelta(milliseconds=total),
                    **{f"{s}_ms": v for s, v in steps_ms.items()},
                }
            )
        failed = sum(r["status"] == "failed" for r in results)
        history.runs.append(
            {
                "trigger": "cron",
                "worker": "history",
                "options": {},
                "counts": {
                    "connections": len(results),
                    "ok": len(results) - failed,
                    "failed": failed,
                },
                "status": "ok" if not failed else "failed" if failed == len(results) else "partial",
                "started_at": at,
                "finished_at": at + dt.timedelta(seconds=2),
            }
        )
        history.results.append(results)
        at += every


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _insert_parents(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows``; their ids, in order."""
    import sqlalchemy as sa

    ids: list[int] = []
    for chunk in _chunks(rows):
        found = conn.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
        ).scalars()
        ids.extend(found)
    return ids


def insert(conn: Connection, history: History) -> None:
    """Write ``history`` in bulk (a few statements per thousands of rows)."""
    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.sync_tables import SyncResult, SyncRun

    b, p = Booking.__table__, PlatformReservation.__table__  # type: ignore[attr-defined]
    _insert_children(conn, p, "booking_id", _insert_parents(conn, b, history.bookings),
                     history.attempts)  # fmt: skip
    runs, results = SyncRun.__table__, SyncResult.__table__  # type: ignore[attr-defined]
    _insert_children(conn, results, "run_id", _insert_parents(conn, runs, history.runs),
                     history.results)  # fmt: skip


def _insert_children(conn: Connection, table: Any, key: str, parent_ids: Sequence[int],
                     children: Sequence[Sequence[dict[str, Any]]]) -> None:  # fmt: skip
    """Insert each parent's ``children`` rows with the parent's id as ``key``."""
    import sqlalchemy as sa

    rows = [{**row, key: parent} for parent, mine in zip(parent_ids, children, strict=True)
            for row in mine]  # fmt: skip
    for chunk in _chunks(rows):
        conn.execute(sa.insert(table), chunk)


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` wrote."""

    venues: int
    days: int
    bookings: int
    runs: int
    results: int


def seed(
    store: Any,
    slugs: Sequence[str],
    *,
    days: int = 28,
    now: dt.datetime | None = None,
    seed_value: int = 0,
) -> Seeded:
    """Give the venues ``slugs`` (and their connections) ``days`` days of past bookings and
    hourly syncs, and a week of bookings ahead, in one transaction."""
    import sqlalchemy as sa

    from prima_cli.store.models import Venue, VenuePlatform
    from prima_cli.store.types import utcnow

    now = now or utcnow()
    rng = random.Random(seed_value)
    v, c = Venue.__table__, VenuePlatform.__table__  # type: ignore[attr-defined]
    with store.engine.begin() as conn:
        rows = conn.execute(
            sa.select(v.c.id, v.c.slug, v.c.timezone, c.c.id, c.c.platform_type)
            .join(c, c.c.venue_id == v.c.id)
            .where(v.c.slug.in_(list(slugs)))
            .order_by(v.c.slug, c.c.priority, c.c.id)
        ).all()
        by_venue: dict[int, HistoryVenue] = {}
        for vid, slug, tz, cid, platform in rows:
            known = by_venue.get(vid) or HistoryVenue(vid, slug, tz, ())
            by_venue[vid] = HistoryVenue(vid, slug, tz, (*known.connections, (cid, platform)))
        venues = list(by_venue.values())
        first = now.date() - dt.timedelta(days=days)
        history = bookings(venues, first, days + 7, 6, now, rng, f"H{now:%y%m%d%H%M%S}")
        sync_runs(
            venues,
            now - dt.timedelta(days=days),
            now - dt.timedelta(minutes=30),
            dt.timedelta(hours=1),
            rng,
            history,
        )
        insert(conn, history)
    return Seeded(
        len(venues),
        days,
        len(history.bookings),
        len(history.runs),
        sum(len(r) for r in history.results),
    )
