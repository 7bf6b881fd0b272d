"""SQL pieces the report's queries share: percentiles computed by the database, days of
instants, and values read back the same way on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prima_cli.core.report_values import Percentiles

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.sql.elements import ColumnElement

#: the percentiles the report shows
P50, P95 = 50, 95


def rank(count: int, percent: int) -> int:
    """The nearest-rank position (1-based) of ``percent`` among ``count`` sorted values."""
    return max(1, -(-count * percent // 100))


def of_counts(counts: Mapping[int, int]) -> Percentiles:
    """p50 and p95 of the values that ``counts`` holds (value -> how many times)."""
    total = sum(counts.values())
    if not total:
        return Percentiles()
    wanted = {P50: rank(total, P50), P95: rank(total, P95)}
    found: dict[int, int] = {}
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        for percent, position in wanted.items():
            if percent not in found and seen >= position:
                found[percent] = int(value)
    return Percentiles(total, found[P50], found[P95])


def percentiles(
    conn: Connection,
    value: ColumnElement[Any],
    groups: Sequence[ColumnElement[Any]],
    where: Sequence[ColumnElement[bool]],
) -> tuple[Percentiles, dict[tuple[Any, ...], Percentiles]]:
    """p50 and p95 of ``value`` overall and per combination of ``groups``, exact, from one
    GROUP BY of the distinct values (times in milliseconds have a few thousand at most, so
    what comes back is small whatever the number of rows)."""
    import sqlalchemy as sa

    query = sa.select(*groups, value, sa.func.count()).where(value.is_not(None), *where)
    rows = conn.execute(query.group_by(*groups, value)).all()
    overall: Counter[int] = Counter()
    by: dict[tuple[Any, ...], Counter[int]] = defaultdict(Counter)
    for row in rows:
        key, v, count = tuple(row[: len(groups)]), int(row[-2]), int(row[-1])
        overall[v] += count
        by[key][v] += count
    return of_counts(overall), {k: of_counts(c) for k, c in by.items()}


def day(value: Any) -> dt.date:
    """A ``date()`` of the database as a date (SQLite answers with text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def instant(value: Any) -> dt.datetime:
    """An aggregate of a UTC column (MIN, MAX) as an aware datetime: aggregates lose the
    column type, so SQLite answers with text and MariaDB with a naive datetime."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def start_of(date: dt.date) -> dt.datetime:
    """Midnight UTC at the start of ``date``."""
    return dt.datetime.combine(date, dt.time(0), dt.UTC)
