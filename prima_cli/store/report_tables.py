"""The columns `prima report` reads, as SQLAlchemy Core tables (no SQLModel, no ORM).

A report is read-only and aggregates in SQL; importing SQLModel and building its table
classes was a fifth of a report's CPU. These are the same tables as ``models.py``,
``booking_tables.py`` and ``sync_tables.py`` (``tests/store/test_report_tables.py`` checks
every column here against them), named on a metadata of their own.
"""

from __future__ import annotations

import sqlalchemy as sa

from prima_cli.store.types import UTCDateTime

_META = sa.MetaData()


def _table(name: str, *columns: sa.Column[object]) -> sa.Table:
    return sa.Table(name, _META, sa.Column("id", sa.Integer, primary_key=True), *columns)


def _text(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.String)


venues = _table("venues", _text("slug"), _text("name"), _text("timezone"))

venue_platforms = _table(
    "venue_platforms",
    sa.Column("venue_id", sa.Integer),
    _text("platform_type"),
    sa.Column("is_enabled", sa.Boolean),
    sa.Column("priority", sa.Integer),
    sa.Column("last_synced_at", UTCDateTime),
    _text("last_sync_status"),
)

bookings = _table(
    "bookings",
    _text("reference"),
    sa.Column("venue_id", sa.Integer),
    sa.Column("local_date", sa.Date),
    sa.Column("starts_at", UTCDateTime),
    sa.Column("party_size", sa.Integer),
    _text("status"),
    _text("cancel_reason"),
    _text("service"),
    _text("platform_type"),
    _text("attempt_state"),
    _text("platform_status"),
    sa.Column("attempts", sa.Integer),
    sa.Column("failover", sa.Boolean),
    sa.Column("confirm_ms", sa.BigInteger),
)

platform_reservations = _table(
    "platform_reservations",
    sa.Column("booking_id", sa.Integer),
    sa.Column("venue_id", sa.Integer),
    sa.Column("local_date", sa.Date),
    _text("platform_type"),
    _text("state"),
    _text("error_type"),
    sa.Column("attention", sa.Text),
    sa.Column("updated_at", UTCDateTime),
)

sync_runs = _table("sync_runs", _text("status"), sa.Column("started_at", UTCDateTime))

sync_results = _table(
    "sync_results",
    _text("venue_slug"),
    _text("platform_type"),
    _text("status"),
    _text("error_type"),
    sa.Column("steps", sa.JSON),
    sa.Column("duration_ms", sa.Integer),
    sa.Column("auth_ms", sa.Integer),
    sa.Column("availability_ms", sa.Integer),
    sa.Column("reconcile_ms", sa.Integer),
    sa.Column("statuses_ms", sa.Integer),
    sa.Column("finished_at", UTCDateTime),
)

#: every table above (the test compares each with the SQLModel table of the same name)
TABLES = (venues, venue_platforms, bookings, platform_reservations, sync_runs, sync_results)
