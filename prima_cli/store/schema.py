"""Is the database at the schema this prima ships? Checked without importing Alembic.

``HEAD`` must equal the newest revision in ``migrations/versions`` (a test checks it).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from prima_cli.errors import ConfigError, SchemaNotMigrated

#: ordered revisions shipped in this package
REVISIONS = ("0001_legacy_venues", "0002_venue_platforms", "0003_bookings", "0004_sync",
             "0005_attempt_error_details", "0006_booking_version",
             "0007_booking_state_machine", "0008_sync_attempts",
             "0012_job_engine", "0011_report_columns", "0009_credentials")  # fmt: skip
HEAD = REVISIONS[-1]
LEGACY = REVISIONS[0]
VERSION_TABLE = "alembic_version"


def current_revision(conn: Connection) -> str | None:
    """The stored revision, or None when the database was never migrated."""
    if not sa.inspect(conn).has_table(VERSION_TABLE):
        return None
    rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return rows[0] if rows else None


def _stored_revision(conn: Connection) -> str | None:
    """Like current_revision, without reflection (every command runs this; it must be cheap)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from prima_cli.store.engine import is_busy, is_unavailable

    try:
        rows = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    except (OperationalError, ProgrammingError) as exc:
        if is_unavailable(exc) or is_busy(exc):  # a server gone mid-check is not "no schema"
            raise
        return None  # no such table: never migrated
    return rows[0] if rows else None


def require_head(engine: Engine, url_for_messages: str) -> None:
    """Raise SchemaNotMigrated (exit 78) unless the database is at ``HEAD``; a database that
    cannot be reached raises DatabaseUnavailable (exit 75)."""
    from prima_cli.store.engine import connect_error

    try:
        with engine.connect() as conn:
            current = _stored_revision(conn)
    except SQLAlchemyError as exc:
        raise connect_error(url_for_messages, exc) from exc
    if current == HEAD:
        return
    if current is None:
        raise SchemaNotMigrated(
            "the database has no prima schema yet",
            hint="run `prima db migrate` to create it",
        )
    if current in REVISIONS:
        raise SchemaNotMigrated(
            f"the database schema is at {current}, this prima needs {HEAD}",
            hint="run `prima db migrate` to upgrade it",
        )
    raise ConfigError(
        f"the database schema is at {current}, which this prima does not know",
        hint="the database was migrated by a newer prima; upgrade prima",
    )
