"""The job engine of a store: procrastinate on the store's own PostgreSQL database.

Workers need PostgreSQL (the engine's locks, LISTEN/NOTIFY and its functions are
PostgreSQL's) and the ``workers`` extra; anything else is a configuration error (exit 78)
that says so. SQLite and MariaDB stores keep the single-process `prima platforms sync`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prima_cli.errors import ConfigError

if TYPE_CHECKING:
    from procrastinate import App

    from prima_cli.store.store import Store


def require_workers(store: Store) -> None:
    """Fail (exit 78) unless this store can run workers: PostgreSQL, the engine installed,
    its schema applied by `prima db migrate` and as new as the installed engine."""
    from prima_cli.store import job_schema

    dialect = store.engine.dialect.name
    if dialect != "postgresql":
        raise ConfigError(
            f"workers need PostgreSQL; this store is {_named(dialect)}",
            hint="on one machine, run `prima platforms sync` from cron (it holds the store "
            "lock); to share the work between machines, move the store to PostgreSQL",
        )
    if not job_schema.engine_installed():
        raise ConfigError(
            "workers need the job engine, which is not installed",
            hint="pip install 'prima-cli[workers]', then run `prima db migrate`",
        )
    with store.engine.connect() as conn:
        found = job_schema.applied_state(conn)
    if found is None:
        raise ConfigError(
            "the job engine's tables are not in this database",
            hint="run `prima db migrate` (it applies them on PostgreSQL)",
        )
    if not found.current:
        since = job_schema.shown(found.since)
        raise ConfigError(
            f"the job engine's tables are those of procrastinate {since}, older than the "
            f"installed {job_schema.shown(found.installed)} ({len(found.pending)} of its "
            "migration scripts to apply)",
            hint="stop every worker, run `prima db migrate`, then start them again",
        )


def _named(dialect: str) -> str:
    return {"sqlite": "SQLite", "mysql": "MariaDB/MySQL"}.get(dialect, dialect)


def conninfo(store: Store) -> str:
    """The libpq connection string of the store (the engine speaks psycopg directly)."""
    url = store.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def build_app(store: Store) -> App:
    """The engine for ``store`` (open it with ``open_async``). Jobs are queued by task name,
    so queueing needs no task declared; a worker declares them (``tasks.register``)."""
    require_workers(store)  # before the import: without the extra, say so (exit 78)
    from procrastinate import App, PsycopgConnector

    return App(connector=PsycopgConnector(conninfo=conninfo(store), min_size=1, max_size=4))
