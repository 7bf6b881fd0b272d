"""The job engine's tables (procrastinate), applied by `prima db migrate` on PostgreSQL.

Only PostgreSQL stores run workers, and only installs with the ``workers`` extra have the
engine: elsewhere this does nothing (SQLite and MariaDB keep the single-process sync under
the store lock). The schema is the engine's own, read through its public schema API, and
applied once: a store that has the engine's jobs table already is left as it is.
"""

from __future__ import annotations

import importlib.util

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: the engine's table that says its schema is in place
JOBS_TABLE = "procrastinate_jobs"


def engine_installed() -> bool:
    """Whether the ``workers`` extra is installed: the engine (procrastinate) and the
    schedule's cron parser (croniter)."""
    return all(importlib.util.find_spec(name) is not None for name in ("procrastinate", "croniter"))


def applied(conn: Connection) -> bool:
    """Whether the engine's schema is in this PostgreSQL database."""
    found = conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": JOBS_TABLE}).scalar()
    return found is not None


def ensure(conn: Connection, notes: list[str]) -> bool:
    """Apply the engine's schema in ``conn``'s transaction where it belongs and is missing;
    whether it was applied now (a line in ``notes`` says so)."""
    if conn.dialect.name != "postgresql" or not engine_installed() or applied(conn):
        return False
    from importlib.metadata import version

    from procrastinate.schema import SchemaManager

    # the raw driver connection: the schema is a script, not a statement with parameters
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(SchemaManager.get_schema())
    notes.append(f"applied the job engine's schema (procrastinate {version('procrastinate')}) "
                 "for `prima worker`")  # fmt: skip
    return True
