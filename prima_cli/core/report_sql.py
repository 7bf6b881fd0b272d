"""SQL pieces the report's queries share: percentiles computed by the database, days of
instants, and values read back the same way on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
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


def percentiles(
    conn: Connection,
    value: ColumnElement[Any],
    groups: Sequence[ColumnElement[Any]],
    where: Sequence[ColumnElement[bool]],
) -> dict[tuple[Any, ...], Percentiles]:
    """p50 and p95 of ``value`` per combination of ``groups`` (one key ``()`` without groups),
    ranked by the database's window functions: only the ranked rows come back, whatever the
    number of values. Integer arithmetic only (MariaDB divides integers into decimals)."""
    import sqlalchemy as sa

    parts = list(groups) or None
    inner = (
        sa.select(
            *(g.label(f"g{i}") for i, g in enumerate(groups)),
            value.label("v"),
            sa.func.row_number().over(partition_by=parts, order_by=value).label("rn"),
            sa.func.count().over(partition_by=parts).label("n"),
        )
        .where(value.is_not(None), *where)
        .subquery()
    )
    rn, n = inner.c.rn, inner.c.n

    def at(percent: int) -> ColumnElement[bool]:
        # rn is the smallest rank with rn / n >= percent / 100
        return sa.and_(rn * 100 >= n * percent, (rn - 1) * 100 < n * percent)

    rows = conn.execute(
        sa.select(*(inner.c[f"g{i}"] for i in range(len(groups))), inner.c.v, rn, n).where(
            sa.or_(at(P50), at(P95))
        )
    ).all()
    found: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in rows:
        key, v, position, count = tuple(row[: len(groups)]), row[-3], row[-2], row[-1]
        seen = found.setdefault(key, {"n": int(count)})
        for name, percent in (("p50", P50), ("p95", P95)):
            if position == rank(int(count), percent):
                seen[name] = int(v)
    return {k: Percentiles(d["n"], d.get("p50"), d.get("p95")) for k, d in found.items()}


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
