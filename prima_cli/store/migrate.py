"""Running the Alembic revisions: status, upgrade to head, adoption of legacy exports.

This is the only module that imports Alembic; ordinary commands check the revision
through :mod:`prima_cli.store.schema` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from prima_cli.errors import ConfigError
from prima_cli.store import job_schema, schema
from prima_cli.store.engine import connect_error
from prima_cli.store.store import Store

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: the store-wide lock one migration holds (``core/run_lock.py``)
LOCK_NAME = "migrate"
#: how long a migration waits for another one on the same store (a deploy running `prima db
#: migrate` on every host at once) before exit 75; the one that waited then finds the schema
#: at head and has nothing to do
WAIT_SECONDS = 300.0
LEGACY_COLUMNS = frozenset(
    {
        "id",
        "name",
        "slug",
        "timezone",
        "country",
        "created_at",
        "updated_at",
        "uses_covermanager",
        "covermanager_id",
        "covermanager_sync_enabled",
        "last_covermanager_sync",
    }
)


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str
    pending: list[str]
    adoptable_legacy: bool
    database: str = ""  #: the store's URL, password masked

    @property
    def up_to_date(self) -> bool:
        return not self.pending


@dataclass(frozen=True)
class MigrateResult:
    from_revision: str | None
    to_revision: str
    applied: list[str]
    adopted_legacy: bool
    notes: list[str] = field(default_factory=list)
    database: str = ""  #: the store's URL, password masked


def _config(connection: Connection | None = None, notes: list[str] | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    cfg.attributes["notes"] = notes
    return cfg


def script_head() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _pending(current: str | None) -> list[str]:
    script = ScriptDirectory.from_config(_config())
    if current is not None and current not in schema.REVISIONS:
        raise ConfigError(
            f"the database schema is at {current}, which this prima does not know",
            hint="the database was migrated by a newer prima; upgrade prima",
        )
    revisions = [rev.revision for rev in script.walk_revisions("base", "heads")]
    revisions.reverse()  # oldest first
    if current is None:
        return revisions
    return revisions[revisions.index(current) + 1 :]


def _legacy_state(conn: Connection) -> bool:
    """True when the database holds an old-system export: legacy venues, no version table."""
    inspector = sa.inspect(conn)
    if not inspector.has_table("venues"):
        return False
    columns = {c["name"] for c in inspector.get_columns("venues")}
    missing = LEGACY_COLUMNS - columns
    if missing:
        raise ConfigError(
            "the database has a `venues` table that prima does not recognise "
            f"(missing columns: {', '.join(sorted(missing))})",
            hint="point --db at an empty database or a prima/legacy export",
        )
    if inspector.has_table("venue_platforms"):
        raise ConfigError(
            "the database has legacy `venues` and an unversioned `venue_platforms` table",
            hint="adopt only exports from before venue_platforms existed, or migrate by hand",
        )
    return True


def status(store: Store) -> SchemaStatus:
    from prima_cli.store.url import file_exists, sqlite_path

    path = sqlite_path(store.url)
    if path is not None and not file_exists(path):  # nothing yet; say so without creating it
        return SchemaStatus(None, script_head(), _pending(None), False, store.display_url)
    try:
        with store.engine.connect() as conn:
            current = schema.current_revision(conn)
            adoptable = current is None and _legacy_state(conn)
            # `db migrate` upgrades the job engine's tables too: "up to date" says both (a
            # store behind head gets them with its revisions, 0012_job_engine)
            engine = job_schema.outstanding(conn) if current == schema.HEAD else []
    except SQLAlchemyError as exc:
        raise connect_error(store.url, exc) from exc
    pending = _pending(schema.LEGACY if adoptable else current) + engine
    return SchemaStatus(current, script_head(), pending, adoptable, store.display_url)


def upgrade(store: Store) -> MigrateResult:
    """Upgrade to head (idempotent), stamping a legacy export at the legacy revision first.
    One migration at a time per store: another one waits for it (TryAgainLater, exit 75,
    after WAIT_SECONDS), since a migration reading a schema half made by another one took
    it for a broken or legacy database (and MariaDB's DDL is not undone by a rollback)."""
    from prima_cli.core import run_lock
    from prima_cli.store.url import sqlite_path

    if store.engine.dialect.name == "sqlite" and sqlite_path(store.url) is None:
        return _upgrade(store)  # in memory: no other process sees it
    with run_lock.exclusive(store, LOCK_NAME, wait=WAIT_SECONDS):
        return _upgrade(store)


def _upgrade(store: Store) -> MigrateResult:
    notes: list[str] = []
    try:
        with store.engine.begin() as conn:
            current = schema.current_revision(conn)
            adopted = current is None and _legacy_state(conn)
            cfg = _config(conn, notes)
            if adopted:
                command.stamp(cfg, schema.LEGACY)
            pending = _pending(schema.LEGACY if adopted else current)
            if pending:
                command.upgrade(cfg, "head")
            job_schema.ensure(conn, notes)
            final = schema.current_revision(conn)
    except SQLAlchemyError as exc:
        raise connect_error(store.url, exc) from exc
    assert final is not None
    return MigrateResult(current, final, pending, adopted, notes, store.display_url)
