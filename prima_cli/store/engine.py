"""Engines and sessions from a database URL, the same way on every dialect."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlmodel import Session

from prima_cli.errors import ConfigError, DatabaseBusy, SchemaNotMigrated
from prima_cli.store import json_codec
from prima_cli.store.url import file_exists, mask_password, sqlite_path

_EXTRA_HINTS = {
    "postgresql": "install the driver: pip install 'prima-cli[postgres]'",
    "mysql": "install the driver: pip install 'prima-cli[mysql]'",
    "mariadb": "install the driver: pip install 'prima-cli[mysql]'",
}


def _prepare_sqlite_file(url: str) -> None:
    """Create the SQLite file with mode 0600 (in a 0700 directory) before SQLite does."""
    path = sqlite_path(url)
    if path is None or file_exists(path):
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise ConfigError(
            f"cannot create the database file {path}: {exc.strerror}",
            hint="pass --db with a writable location or set PRIMA_DATABASE_URL",
        ) from exc
    os.close(fd)


def _require_sqlite_file(url: str) -> None:
    path = sqlite_path(url)
    if path is not None and not file_exists(path):
        raise SchemaNotMigrated(
            f"there is no database at {path} yet",
            hint="create it with `prima db migrate` (with the same --db), or check the path",
        )


#: SQLite URI modes prima accepts in ``?mode=``: read-only, read-write, read-write-create
_SQLITE_MODES = frozenset({"ro", "rw", "rwc"})


def _sqlite_read_only(parsed: sa.URL) -> bool:
    """Whether a SQLite URL asks for read-only access (``?mode=ro``); any other query
    parameter is refused rather than silently ignored."""
    query = {k: v for k, v in parsed.query.items() if k != "uri"}
    mode = query.pop("mode", None)
    if query or (mode is not None and mode not in _SQLITE_MODES):
        given = ", ".join(f"{k}={v}" for k, v in parsed.query.items() if k != "uri")
        raise ConfigError(
            f"a SQLite URL takes no parameter but mode=ro|rw|rwc (got {given})",
            hint="e.g. sqlite:///path/prima.db?mode=ro opens the file read-only",
        )
    return mode == "ro"


def _sqlite_url(parsed: sa.URL, url: str, read_only: bool) -> sa.URL:
    """The URL SQLAlchemy's driver gets: read-only as a SQLite URI (``file:...?mode=ro``,
    the only way sqlite3 opens a file read-only), otherwise the plain file."""
    path = sqlite_path(url)
    if not read_only or path is None:
        return parsed.set(query={})
    from urllib.parse import quote

    return parsed.set(database=f"file:{quote(str(path))}", query={"mode": "ro", "uri": "true"})


def _driver_arguments_checked(url: str) -> Any:
    """A ``do_connect`` hook: a driver that rejects a URL parameter with a plain Python
    error (PyMySQL: ``?charset=nope``, ``?port=abc``) raises ConfigError instead."""

    def connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except (ValueError, TypeError, LookupError, AttributeError) as exc:
            raise ConfigError(
                f"the database driver refused the URL {mask_password(url)!r} "
                f"({type(exc).__name__}: {exc})",
                hint="check the URL's parameters (after ?)",
            ) from exc

    return connect


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _postgres_utc(dbapi_connection: Any, _record: Any) -> None:
    # Instants come back in the session's time zone: in UTC, the driver hands out
    # datetime.UTC itself and reading needs no conversion (types.UTCDateTime). Committed,
    # or the pool's rollback at check-in would undo it.
    cursor = dbapi_connection.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.close()
    dbapi_connection.commit()


def create_engine(url: str, *, create: bool = False) -> Engine:
    """An engine for ``url``; configuration problems raise ConfigError (exit 78).

    A SQLite file is created (mode 0600) only with ``create`` (``db migrate``, ``demo``);
    other commands refuse a missing file rather than leave empty databases around.
    """
    try:
        parsed = sa.engine.make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number raises here, not at connect
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            f"invalid database URL {mask_password(url)!r}",
            hint="use e.g. sqlite:///path/prima.db, postgresql://user@host/db or "
            "mysql://user@host/db",
        ) from exc
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "mysql", "mariadb") and not parsed.database:
        raise ConfigError(
            f"the database URL {mask_password(url)!r} names no database",
            hint="end it with /DBNAME, e.g. postgresql://user@host/prima",
        )
    kwargs: dict[str, Any] = {
        "pool_pre_ping": backend != "sqlite",
        "json_serializer": json_codec.dumps,
        "json_deserializer": json_codec.loads,
    }
    if backend == "sqlite":
        read_only = _sqlite_read_only(parsed)
        if create and read_only:
            raise ConfigError(
                f"{mask_password(url)} is opened read-only (?mode=ro): it cannot be created "
                "or migrated",
                hint="drop ?mode=ro to create or upgrade it",
            )
        if create:
            _prepare_sqlite_file(url)
        else:
            _require_sqlite_file(url)
        parsed = _sqlite_url(parsed, url, read_only)
        kwargs["connect_args"] = {"timeout": 10}
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise ConfigError(
            f"no database driver for {mask_password(url)!r} ({exc})",
            hint=_EXTRA_HINTS.get(backend, "check the URL's dialect"),
        ) from exc
    except (ArgumentError, ValueError) as exc:  # SQLAlchemy raises both for odd URLs
        raise ConfigError(
            f"invalid database URL {mask_password(url)!r}: {str(exc).splitlines()[0]}",
            hint="use e.g. sqlite:///path/prima.db or postgresql://user@host/db",
        ) from exc
    event.listen(engine, "do_connect", _driver_arguments_checked(url))
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif backend == "postgresql":
        event.listen(engine, "connect", _postgres_utc)
    return engine


def connect_error(url: str, exc: SQLAlchemyError) -> ConfigError:
    """A one-sentence ConfigError for a failure to reach the database."""
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc)
    read_only = "readonly database" in str(reason)  # SQLite, opened with ?mode=ro
    return ConfigError(
        f"cannot use the database at {mask_password(url)}: {reason}",
        hint="this command writes: drop ?mode=ro from the URL"
        if read_only
        else "check --db / PRIMA_DATABASE_URL and that the server is running",
    )


#: MySQL/MariaDB: deadlock, lock wait timeout
_MYSQL_BUSY = frozenset({1213, 1205})
#: PostgreSQL SQLSTATEs: serialization failure, deadlock, lock not available
_POSTGRES_BUSY = frozenset({"40001", "40P01", "55P03"})


def is_busy(exc: SQLAlchemyError) -> bool:
    """Whether the database refused a transaction because of concurrent writers."""
    orig = getattr(exc, "orig", None)
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in _POSTGRES_BUSY:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in _MYSQL_BUSY:
        return True
    return "database is locked" in str(orig)  # SQLite, after its busy timeout


@contextmanager
def session_scope(engine: Engine, url: str) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if is_busy(exc):
                reason = str(exc.orig).strip().splitlines()[0]
                raise DatabaseBusy(
                    f"the database gave up on a transaction because of other writers "
                    f"({reason}); nothing of it was saved",
                    hint="run the command again",
                ) from exc
            raise connect_error(url, exc) from exc
        except BaseException:
            session.rollback()
            raise
