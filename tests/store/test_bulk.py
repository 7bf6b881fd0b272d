"""Prepared executemany (store/bulk.py) writes what SQLAlchemy's own executemany writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from prima_cli.core import snapshots
from prima_cli.store import bulk, json_codec
from prima_cli.store.engine import create_engine
from prima_cli.store.types import UTCDateTime

metadata = sa.MetaData()
#: a column of each kind the sync writes: text, numbers, dates, instants, JSON
ROWS = sa.Table(
    "bulk_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.Integer, nullable=False),
    sa.Column("name", sa.String(50)),
    sa.Column("note", sa.Text),
    sa.Column("day", sa.Date),
    sa.Column("at", UTCDateTime),
    sa.Column("data", sa.JSON),
)
NAMES = ("kind", "name", "note", "day", "at", "data")
AT = dt.datetime(2026, 12, 7, 18, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1)))
VALUES: list[dict[str, Any]] = [
    {"name": "Prima Gràcia", "note": "«no» ✓", "day": dt.date(2026, 12, 7), "at": AT,
     "data": {"1": ["13:00", "13:15"], "2": []}},
    {"name": None, "note": None, "day": None, "at": None, "data": {"auth": {"status": "ok"}}},
    {"name": "100%", "note": "it's a 'quote'", "day": dt.date(2027, 1, 1),
     "at": AT.astimezone(dt.UTC), "data": {"x": [1, 2.5, None, True]}},
]  # fmt: skip


@pytest.fixture
def engine(any_db_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(any_db_url, create=True)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _stored(conn: sa.Connection, kind: int) -> list[tuple[Any, ...]]:
    """The rows of ``kind`` as stored: JSON as its text, the rest as the driver reads it."""
    columns = [ROWS.c.name, ROWS.c.note, ROWS.c.day, ROWS.c.at, sa.cast(ROWS.c.data, sa.Text)]
    query = sa.select(*columns).where(ROWS.c.kind == kind).order_by(ROWS.c.id)
    return [tuple(row) for row in conn.execute(query)]


def _prepared(conn: sa.Connection, kind: int, names: tuple[str, ...]) -> list[tuple[Any, ...]]:
    process = {name: bulk.processor(conn, ROWS.c[name]) for name in NAMES}
    return [
        tuple(kind if name == "kind" else process[name](row[name]) for name in names)
        for row in VALUES
    ]


def test_rows_are_stored_as_sqlalchemy_stores_them(engine: sa.Engine) -> None:
    """Inserted in the table's column order, and in another (positional drivers take the
    values reordered), then updated: the same stored values as SQLAlchemy's executemany."""
    shuffled = ("data", "at", "kind", "note", "day", "name")
    with engine.begin() as conn:
        conn.execute(sa.insert(ROWS), [{"kind": 1, **row} for row in VALUES])
        bulk.executemany(conn, sa.insert(ROWS), NAMES, _prepared(conn, 2, NAMES))
        bulk.executemany(conn, sa.insert(ROWS), shuffled, _prepared(conn, 3, shuffled))
    with engine.connect() as conn:
        expected = _stored(conn, 1)
        assert _stored(conn, 2) == expected
        assert _stored(conn, 3) == expected
    new_at = dt.datetime(2027, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    update = (
        sa.update(ROWS)
        .where(ROWS.c.kind == sa.bindparam("kind_", type_=sa.Integer))
        .values(at=sa.func.coalesce(sa.bindparam("new_at", type_=UTCDateTime), ROWS.c.at),
                note=sa.bindparam("new_note", type_=sa.Text))
    )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(update, [{"kind_": 1, "new_at": new_at, "new_note": "a"}])
        at = bulk.processor(conn, ROWS.c.at)(new_at)
        bulk.executemany(conn, update, ("new_note", "new_at", "kind_"),
                         [("a", at, 2), (None, None, 3)])  # fmt: skip
    with engine.connect() as conn:
        assert _stored(conn, 2) == _stored(conn, 1)
        assert [row[3] for row in _stored(conn, 2)] == [new_at] * 3
        kept = _stored(conn, 3)
    assert [row[1] for row in kept] == [None] * 3  # set to NULL
    assert [row[3] for row in kept] == [row[3] for row in expected]  # coalesced: kept


def test_no_rows_run_nothing(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        bulk.executemany(conn, sa.insert(ROWS), NAMES, [])
        assert conn.execute(sa.select(sa.func.count()).select_from(ROWS)).scalar_one() == 0


def test_the_sync_passes_numbers_and_text_without_processing(engine: sa.Engine) -> None:
    """The sync gives ids, counts, statuses and messages to the driver as they are: their
    columns' types have no bind processing on any backend."""
    from prima_cli.core.sync_records import RESULT_COLUMNS
    from prima_cli.store.models import VenuePlatform
    from prima_cli.store.sync_tables import AvailabilitySnapshot, SyncResult

    results = SyncResult.__table__  # type: ignore[attr-defined]
    connections = VenuePlatform.__table__  # type: ignore[attr-defined]
    snapshot = AvailabilitySnapshot.__table__  # type: ignore[attr-defined]
    as_they_are = [
        *(results.c[name] for name in RESULT_COLUMNS if name not in ("steps", "finished_at")),
        connections.c.id, connections.c.last_sync_status, connections.c.last_error,
        snapshot.c.venue_platform_id,
    ]  # fmt: skip
    dialect = engine.dialect
    for column in as_they_are:
        assert column.type.dialect_impl(dialect).bind_processor(dialect) is None, column


_times = st.lists(st.times(), max_size=30).map(sorted)
_days = st.dictionaries(st.integers(min_value=1, max_value=40), _times, max_size=10)


@given(day=_days)
def test_a_snapshot_day_is_the_json_text_of_its_stored_form(day: dict[int, list[Any]]) -> None:
    assert snapshots.encode_json(day) == json_codec.dumps(snapshots.encode(day))


def test_snapshots_are_stored_as_sqlalchemy_stores_them(any_db_url: str) -> None:
    """``snapshots.replace`` (JSON text prepared, each date and the instant processed once)
    stores what SQLAlchemy's executemany of the encoded days stores, on every backend."""
    from sqlmodel import Session, SQLModel

    from prima_cli.store.models import Venue, VenuePlatform
    from prima_cli.store.sync_tables import AvailabilitySnapshot

    engine = create_engine(any_db_url, create=True)
    tables = [m.__table__ for m in (Venue, VenuePlatform, AvailabilitySnapshot)]  # type: ignore[attr-defined]
    SQLModel.metadata.create_all(engine, tables=tables)
    snapshot = AvailabilitySnapshot.__table__  # type: ignore[attr-defined]
    week = [dt.date(2026, 12, 7) + dt.timedelta(days=i) for i in range(7)]
    times = [dt.time(13, 0), dt.time(13, 15), dt.time(21, 45, 30)]
    answer = {day: {2: times, 1: times[:i], 8: []} for i, day in enumerate(week)}
    try:
        with Session(engine) as session:
            session.add(Venue(id=1, name="Madrid", slug="madrid"))
            session.add_all(
                [VenuePlatform(id=i, venue_id=1, platform_type=f"p{i}") for i in (1, 2)]
            )
            session.commit()
            snapshots.replace(session, {1: answer}, AT)
            session.connection().execute(sa.insert(snapshot), [
                {"venue_platform_id": 2, "local_date": day, "slots": snapshots.encode(slots),
                 "fetched_at": AT} for day, slots in answer.items()])  # fmt: skip
            session.commit()
        columns = [snapshot.c.local_date, sa.cast(snapshot.c.slots, sa.Text), snapshot.c.fetched_at]
        with engine.connect() as conn:
            stored = {
                cid: conn.execute(sa.select(*columns).where(snapshot.c.venue_platform_id == cid)
                                  .order_by(snapshot.c.local_date)).all()
                for cid in (1, 2)
            }  # fmt: skip
    finally:
        engine.dispose()
    assert len(stored[1]) == 7
    assert stored[1] == stored[2]
