"""UTCDateTime reads back the same aware UTC instant on every backend, however it was given."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from prima_cli.store.types import UTCDateTime

MADRID = ZoneInfo("Europe/Madrid")
GIVEN = [
    dt.datetime(2026, 11, 24, 20, 15, tzinfo=MADRID),  # not UTC: stored as UTC
    dt.datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=dt.UTC),  # microseconds kept
    dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    None,
]


def test_aware_instants_read_back_in_utc_on_every_backend(any_db_url: str) -> None:
    from prima_cli.store.store import Store

    store = Store(any_db_url, create=True)
    table = sa.Table("type_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", UTCDateTime()))  # fmt: skip
    try:
        table.create(store.engine)
        with store.engine.begin() as conn:
            conn.execute(
                table.insert(), [{"id": i, "at": at} for i, at in enumerate(GIVEN, start=1)]
            )
        with store.engine.connect() as conn:
            read = conn.execute(sa.select(table.c.at).order_by(table.c.id)).scalars().all()
            later = conn.execute(
                sa.select(table.c.id).where(table.c.at > dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
            ).scalars().all()  # fmt: skip
        assert read == GIVEN  # equal instants
        assert all(at is None or at.tzinfo is dt.UTC for at in read)
        assert read[0] is not None and read[0].hour == 19  # 20:15 in Madrid (UTC+1)
        assert sorted(later) == [1, 3]  # comparisons run on the stored UTC form
    finally:
        table.drop(store.engine, checkfirst=True)
        store.dispose()


def test_a_naive_datetime_is_refused_before_it_reaches_the_database() -> None:
    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", UTCDateTime()))
    table.create(engine)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"), engine.begin() as conn:
        conn.execute(table.insert(), [{"at": dt.datetime(2026, 1, 1)}])


def test_postgres_sessions_read_utc_whatever_time_zone_the_server_gives(postgres_url: str) -> None:
    """prima's connections ask for UTC (so reading needs no conversion); a session left in
    another zone (a pooler may hand one out) still reads the same instants, in UTC."""
    from prima_cli.store.store import Store

    store = Store(postgres_url)
    table = sa.Table("tz_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("at", UTCDateTime()))  # fmt: skip
    try:
        table.create(store.engine)
        with store.engine.begin() as conn:
            assert conn.execute(sa.text("SHOW TIME ZONE")).scalar() == "UTC"
            conn.execute(table.insert(), [{"id": i, "at": at} for i, at in enumerate(GIVEN, 1)])
        with store.engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL TIME ZONE 'America/Bogota'"))
            read = conn.execute(sa.select(table.c.at).order_by(table.c.id)).scalars().all()
        assert read == GIVEN
        assert all(at is None or at.tzinfo is dt.UTC for at in read)
    finally:
        table.drop(store.engine, checkfirst=True)
        store.dispose()


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        ("2026-12-07 10:50:22.136532", dt.datetime(2026, 12, 7, 10, 50, 22, 136532, tzinfo=dt.UTC)),
        ("2026-12-07 10:50:22", dt.datetime(2026, 12, 7, 10, 50, 22, tzinfo=dt.UTC)),
        ("2026-12-07", dt.datetime(2026, 12, 7, tzinfo=dt.UTC)),  # a date alone: midnight UTC
        # a text written by something else with an offset: read as before, as UTC
        ("2026-12-07 10:50:22+02:00", dt.datetime(2026, 12, 7, 10, 50, 22, tzinfo=dt.UTC)),
    ],
)
def test_sqlite_texts_read_back_aware_in_utc(stored: str, read: dt.datetime) -> None:
    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", UTCDateTime()))
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (at) VALUES (:at)"), {"at": stored})
        got = conn.execute(sa.select(table.c.at)).scalar_one()
    assert got == read and got.tzinfo is dt.UTC
