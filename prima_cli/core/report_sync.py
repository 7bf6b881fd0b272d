"""The sync health part of `prima report`: runs over time, each connection's last success,
failure rates, top errors, durations and step latencies, from the run records.

Runs and results are dated by their UTC day (a run spans venues in several time zones). A
result's outcome is read as stored, so an outcome a newer prima records (a connection skipped
by an open circuit, say) is counted under its own name rather than dropped.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from prima_cli.core.report_sql import day, instant, percentiles, start_of
from prima_cli.core.report_values import (
    TOP_ERRORS,
    ConnectionAge,
    ErrorSeen,
    FailureDay,
    ReportFilters,
    RunDay,
    SyncHealth,
    VenueInfo,
)
from prima_cli.core.sync_records import STEPS
from prima_cli.core.sync_values import FAILED, OK
from prima_cli.errors import PlatformRateLimited
from prima_cli.store import report_tables as tables

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

#: error types counted as rate limiting
RATE_LIMITED = (PlatformRateLimited.type,)


def health(
    conn: Connection, filters: ReportFilters, venues: list[VenueInfo], now: dt.datetime
) -> SyncHealth:
    """Sync health over the period of ``filters``, for its venues and platforms."""
    import sqlalchemy as sa

    r = tables.sync_results
    start, end = start_of(filters.date_from), start_of(filters.date_to + dt.timedelta(days=1))
    where = [r.c.finished_at >= start, r.c.finished_at < end]
    if filters.venues:
        where.append(r.c.venue_slug.in_([v.slug for v in venues]))
    if filters.platforms:
        where.append(r.c.platform_type.in_(filters.platforms))

    run = tables.sync_runs
    run_day = sa.func.date(run.c.started_at)
    runs: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for when, status, count in conn.execute(
        sa.select(run_day, run.c.status, sa.func.count())
        .where(run.c.started_at >= start, run.c.started_at < end)
        .group_by(run_day, run.c.status)
    ).all():
        runs[day(when)][status] = runs[day(when)].get(status, 0) + int(count)

    result_day = sa.func.date(r.c.finished_at)
    keys = (r.c.platform_type, result_day, r.c.status, r.c.error_type)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    per_day: dict[tuple[str, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    limited: Counter[str] = Counter()
    for platform, when, status, error_type, count in conn.execute(
        sa.select(*keys, sa.func.count()).where(*where).group_by(*keys)
    ).all():
        outcomes[platform][status] += int(count)
        cell = per_day[(platform, day(when))]
        cell[0] += int(count)
        cell[1] += int(count) if status == FAILED else 0
        if error_type in RATE_LIMITED:
            limited[platform] += int(count)

    top = conn.execute(
        sa.select(
            r.c.platform_type,
            r.c.error_type,
            sa.func.count().label("n"),
            sa.func.min(r.c.finished_at),
            sa.func.max(r.c.finished_at),
        )
        .where(*where, r.c.error_type.is_not(None))
        .group_by(r.c.platform_type, r.c.error_type)
        .order_by(sa.desc("n"), r.c.platform_type, r.c.error_type)
        .limit(TOP_ERRORS)
    ).all()

    def by_platform(column: Any) -> dict[str, Any]:
        _overall, found = percentiles(conn, column, [r.c.platform_type], where)
        return {str(k[0]): v for k, v in sorted(found.items())}

    return SyncHealth(
        runs=[RunDay(d, dict(sorted(runs[d].items()))) for d in sorted(runs)],
        grid=_grid(conn, filters, venues, now),
        failure_days=[FailureDay(p, d, n, f) for (p, d), (n, f) in sorted(per_day.items())],
        top_errors=[
            ErrorSeen(p, e, int(n), instant(first), instant(last)) for p, e, n, first, last in top
        ],
        outcomes={p: dict(sorted(c.items())) for p, c in sorted(outcomes.items())},
        rate_limited={p: limited[p] for p in sorted(outcomes)},
        skipped={
            p: sum(n for s, n in c.items() if s not in (OK, FAILED))
            for p, c in sorted(outcomes.items())
        },
        duration=by_platform(r.c.duration_ms),
        step_latency={step: by_platform(r.c[f"{step}_ms"]) for step in STEPS},
    )


def _grid(
    conn: Connection, filters: ReportFilters, venues: list[VenueInfo], now: dt.datetime
) -> list[ConnectionAge]:
    """Every connection of the report's venues: when its last sync succeeded."""
    import sqlalchemy as sa

    v = tables.venues
    c = tables.venue_platforms
    query = sa.select(
        v.c.slug, c.c.platform_type, c.c.is_enabled, c.c.last_synced_at, c.c.last_sync_status
    ).join(v, v.c.id == c.c.venue_id)
    if filters.venues:
        query = query.where(v.c.slug.in_([x.slug for x in venues]))
    if filters.platforms:
        query = query.where(c.c.platform_type.in_(filters.platforms))
    rows = conn.execute(query.order_by(v.c.slug, c.c.platform_type)).all()
    return [
        ConnectionAge(
            slug,
            platform,
            bool(enabled),
            last,
            max(0, int((now - last).total_seconds())) if last else None,
            status,
        )
        for slug, platform, enabled, last, status in rows
    ]
