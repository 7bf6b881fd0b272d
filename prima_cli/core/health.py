"""Is the sync still doing its job? What the run records and connections say about it (for
the metrics file and for ``prima doctor --max-sync-age/--max-attention``).

The last success comes from the records, never from the run that is writing them, so a run
that fails cannot make the sync look fresh, and a sync that stopped running at all shows
as a last success that keeps ageing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prima_cli.core.phrases import named

if TYPE_CHECKING:
    from prima_cli.store.store import Store

#: run statuses that count as a successful sync
SUCCESS = ("ok",)


@dataclass(frozen=True)
class ConnectionFacts:
    connection_id: int
    venue: str
    platform_type: str
    enabled: bool
    last_synced_at: dt.datetime | None  # the last successful sync
    last_sync_status: str | None  # ok | failed, of the last attempt

    @property
    def status(self) -> str:
        """disabled, never (not synced yet), or the last attempt's status."""
        if not self.enabled:
            return "disabled"
        return self.last_sync_status or "never"


@dataclass(frozen=True)
class SyncFacts:
    """The store's account of the sync, read in one pass."""

    last_success: dt.datetime | None  # when the last successful run ended
    last_run_started: dt.datetime | None
    last_run_finished: dt.datetime | None
    last_run_status: str | None
    connections: list[ConnectionFacts]
    attention: int  # bookings with an attempt flagged for the operator or still unknown


def read_facts(store: Store) -> SyncFacts:
    from sqlalchemy import func
    from sqlmodel import col, or_, select

    from prima_cli.core.booking_state import AttemptState
    from prima_cli.store.booking_tables import PlatformReservation
    from prima_cli.store.models import Venue, VenuePlatform
    from prima_cli.store.sync_tables import SyncRun

    with store.session() as session:
        last_success = session.exec(
            select(func.max(SyncRun.finished_at)).where(col(SyncRun.status).in_(SUCCESS))
        ).one()
        last = session.exec(select(SyncRun).order_by(col(SyncRun.id).desc()).limit(1)).first()
        rows = session.exec(
            select(VenuePlatform, Venue.slug)
            .join(Venue, col(Venue.id) == col(VenuePlatform.venue_id))
            .order_by(col(Venue.slug), col(VenuePlatform.platform_type))
        ).all()
        attention = session.exec(
            select(func.count(func.distinct(PlatformReservation.booking_id))).where(
                or_(col(PlatformReservation.attention).is_not(None),
                    PlatformReservation.state == AttemptState.UNKNOWN)
            )
        ).one()  # fmt: skip
    return SyncFacts(
        last_success=_aware(last_success),
        last_run_started=last.started_at if last else None,
        last_run_finished=last.finished_at if last else None,
        last_run_status=last.status if last else None,
        connections=[
            ConnectionFacts(
                row.id or 0,
                slug,
                row.platform_type,
                row.is_enabled,
                row.last_synced_at,
                row.last_sync_status,
            )
            for row, slug in rows
        ],
        attention=int(attention or 0),
    )


def _aware(value: object) -> dt.datetime | None:
    """An aggregate comes back without the column's type: naive UTC text or a datetime."""
    if value is None:
        return None
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


@dataclass(frozen=True)
class HealthCheck:
    name: str
    ok: bool
    detail: str


def evaluate(
    facts: SyncFacts,
    *,
    now: dt.datetime,
    max_sync_age: dt.timedelta | None = None,
    max_attention: int | None = None,
) -> list[HealthCheck]:
    """The checks asked for: every enabled connection synced successfully within
    ``max_sync_age``; at most ``max_attention`` bookings needing the operator."""
    checks: list[HealthCheck] = []
    if max_sync_age is not None:
        limit = now - max_sync_age
        stale = [
            c
            for c in facts.connections
            if c.enabled and (c.last_synced_at is None or c.last_synced_at < limit)
        ]
        if stale:
            listed = named([f"{c.venue}/{c.platform_type} ({_age(c.last_synced_at, now)})"
                            for c in stale], 10)  # fmt: skip
            detail = (f"{len(stale)} enabled connection(s) without a successful sync in the "
                      f"last {_span(max_sync_age)}: {listed}")  # fmt: skip
        else:
            enabled = sum(1 for c in facts.connections if c.enabled)
            detail = (f"every enabled connection ({enabled}) synced successfully in the last "
                      f"{_span(max_sync_age)}")  # fmt: skip
        checks.append(HealthCheck("sync_age", not stale, detail))
    if max_attention is not None:
        ok = facts.attention <= max_attention
        checks.append(
            HealthCheck("attention", ok,
                        f"{facts.attention} booking(s) need the operator (at most "
                        f"{max_attention} allowed; see `prima bookings reconcile`)")
        )  # fmt: skip
    return checks


def _span(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _age(when: dt.datetime | None, now: dt.datetime) -> str:
    if when is None:
        return "never synced"
    minutes = max(0, int((now - when).total_seconds()) // 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    text = f"{days}d{hours}h" if days else f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"
    return f"last success {text} ago"
