"""The job engine's tables (procrastinate), applied and upgraded by `prima db migrate` on
PostgreSQL.

Only PostgreSQL stores run workers, and only installs with the ``workers`` extra have the
engine: elsewhere this does nothing (SQLite and MariaDB keep the single-process sync under
the store lock). The schema is the engine's own, read through its public schema API.

A store keeps which release of the engine its schema matches (table ``prima_job_engine``);
after prima is upgraded with a newer engine, `prima db migrate` applies the engine's own
migration scripts between the two releases, in order, and workers refuse to start on a
schema that is behind (the engine's new queries would fail on old tables mid-job).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from prima_cli.errors import ConfigError

#: the engine's table that says its schema is in place
JOBS_TABLE = "procrastinate_jobs"
#: prima's one-row record of the engine release the schema matches
VERSION_TABLE = "prima_job_engine"
#: the oldest engine release prima ever required (``workers`` extra): a schema applied
#: before prima kept the record is at least this one (its own scripts, named 03.05.00 and
#: after, are the ones it lacks)
BASELINE = (3, 5, 0)

Version = tuple[int, int, int]

_RELEASE = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


def engine_installed() -> bool:
    """Whether the ``workers`` extra is installed: the engine (procrastinate) and the
    schedule's cron parser (croniter)."""
    return all(importlib.util.find_spec(name) is not None for name in ("procrastinate", "croniter"))


def applied(conn: Connection) -> bool:
    """Whether the engine's schema is in this PostgreSQL database."""
    found = conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": JOBS_TABLE}).scalar()
    return found is not None


def parse_version(text: str) -> Version:
    """``3.10.0`` (a release) or ``03.10.00`` (a migration script's prefix) as a tuple; a
    pre-release counts as its release."""
    found = _RELEASE.match(text)
    if found is None:
        raise ValueError(f"not a release number: {text!r}")
    major, minor, patch = (int(part) for part in found.groups())
    return major, minor, patch


def shown(version: Version) -> str:
    return ".".join(str(part) for part in version)


def installed_version() -> Version:
    from importlib.metadata import version

    return parse_version(version("procrastinate"))


def migrations_dir() -> Path:
    """Where the installed engine keeps its migration scripts (its public schema API)."""
    from procrastinate.schema import SchemaManager

    return Path(SchemaManager.get_migrations_path())


@dataclass(frozen=True)
class SchemaState:
    """The engine's schema in a store against the installed engine."""

    recorded: Version | None  # None: applied before prima kept the record
    installed: Version
    pending: tuple[Path, ...]  # the engine's scripts still to apply, in order

    @property
    def current(self) -> bool:
        return not self.pending

    @property
    def since(self) -> Version:
        """The release the tables are at (a schema from before the record: the baseline)."""
        return self.recorded or BASELINE


def recorded_version(conn: Connection) -> Version | None:
    if conn.execute(sa.text("SELECT to_regclass(:t)"), {"t": VERSION_TABLE}).scalar() is None:
        return None
    found = conn.execute(sa.text(f"SELECT version FROM {VERSION_TABLE}")).scalar()
    return parse_version(found) if found else None


def state(conn: Connection) -> SchemaState:
    """Where an applied schema stands: the scripts from the recorded release up to, not
    including, the installed one. The engine names a script after its latest release when
    the script is written (procrastinate's CONTRIBUTING.md), so a later release ships it:
    ``03.10.00_01_pre_add_lock_mode.sql`` upgrades a 3.10.0 schema and is not in 3.10.0."""
    recorded, installed = recorded_version(conn), installed_version()
    since = recorded or BASELINE
    pending = tuple(
        script
        for script in sorted(migrations_dir().glob("*.sql"), key=lambda p: p.name)
        if since <= _script_version(script) < installed
    )
    return SchemaState(recorded, installed, pending)


def applied_state(conn: Connection) -> SchemaState | None:
    """:func:`state` of the engine's tables, or None where they are not in the database."""
    return state(conn) if applied(conn) else None


def _script_version(script: Path) -> Version:
    try:
        return parse_version(script.name)
    except ValueError:
        return (0, 0, 0)  # not a migration script: never pending


def outstanding(conn: Connection) -> list[str]:
    """What `prima db migrate` would apply of the engine's schema here, for `prima db
    status`: its tables, or its migration scripts since the recorded release (nothing
    outside PostgreSQL or without the engine)."""
    if conn.dialect.name != "postgresql" or not engine_installed():
        return []
    found = applied_state(conn)
    if found is None:
        return [f"procrastinate {shown(installed_version())} (the job engine's tables)"]
    return [f"procrastinate {script.stem}" for script in found.pending]


def ready(conn: Connection) -> bool:
    """Whether workers can run here: the schema applied and matching the installed engine."""
    found = applied_state(conn)
    return found is not None and found.current


def ensure(conn: Connection, notes: list[str]) -> bool:
    """Apply the engine's schema, or its pending migration scripts, in ``conn``'s
    transaction where it belongs; whether anything was applied (``notes`` says what)."""
    if conn.dialect.name != "postgresql" or not engine_installed():
        return False
    from procrastinate.schema import SchemaManager

    # the raw driver connection: the schema and the scripts are scripts, not statements
    driver = conn.connection.driver_connection
    assert driver is not None
    installed = installed_version()
    if not applied(conn):
        driver.execute(SchemaManager.get_schema())
        notes.append(f"applied the job engine's schema (procrastinate {shown(installed)}) "
                     "for `prima worker`")  # fmt: skip
        _record(conn, installed)
        return True
    found = state(conn)
    for script in found.pending:
        _run_script(driver, script)
    if found.pending:
        since = shown(found.since)
        names = ", ".join(script.stem for script in found.pending)
        notes.append(f"upgraded the job engine's schema from procrastinate {since} to "
                     f"{shown(installed)} ({names})")  # fmt: skip
    # an older engine than the record (prima downgraded) leaves the record alone: the
    # tables stay as the newer engine made them
    if found.recorded is None or found.recorded < installed:
        _record(conn, installed)
    return bool(found.pending)


def _record(conn: Connection, version: Version) -> None:
    conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version text NOT NULL)"))
    conn.execute(sa.text(f"DELETE FROM {VERSION_TABLE}"))
    conn.execute(sa.text(f"INSERT INTO {VERSION_TABLE} (version) VALUES (:v)"),
                 {"v": shown(version)})  # fmt: skip


def _run_script(driver: Any, script: Path) -> None:
    """One of the engine's migration scripts; a failure is a configuration error naming it
    (the whole migration is one transaction: nothing of it stays)."""
    import psycopg

    try:
        driver.execute(script.read_text(encoding="utf-8"))
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"the job engine's migration script {script.name} failed: {first}; nothing of "
            "this migration was applied",
            hint="check that no one changed the engine's tables by hand; `prima db status` "
            "shows the store's schema",
        ) from exc
