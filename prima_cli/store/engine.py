"""Engines and sessions from a database URL, the same way on every dialect."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)

from prima_cli.errors import (
    ConfigError,
    DatabaseBusy,
    DatabaseUnavailable,
    PrimaError,
    SchemaNotMigrated,
)
from prima_cli.store import json_codec
from prima_cli.store.url import file_exists, mask_password, sqlite_path

if TYPE_CHECKING:  # the ORM is imported by the commands that use sessions, not by a report
    from sqlmodel import Session

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
        # a statement's parameters are guests' names, e-mails and phones: never in an error
        "hide_parameters": True,
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


def driver_message(exc: BaseException) -> str:
    """The first line of the driver's own message for a database error.

    Never ``str(exc)`` of a SQLAlchemy statement error: that carries the SQL statement and
    its parameters. Empty messages become the exception class's name.
    """
    cause: BaseException = exc
    if isinstance(exc, StatementError):
        if exc.orig is None:
            return type(exc).__name__
        cause = exc.orig
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def describe(exc: BaseException) -> str:
    """``Class: first line of the driver's message``, for errors that are nobody's fault but
    prima's (the last-resort handler): enough to report, never a statement or parameters."""
    return f"{type(exc).__name__}: {driver_message(exc)}"


def connect_error(url: str, exc: SQLAlchemyError) -> PrimaError:
    """The one-sentence error for a failed database call: DatabaseBusy or DatabaseUnavailable
    (exit 75) when running it again later can succeed, else a ConfigError (exit 78)."""
    if is_busy(exc):
        return busy_error(exc)
    if "readonly database" in driver_message(exc) and "mode=ro" in url:
        return ConfigError(
            f"cannot write to the database at {mask_password(url)}: it is opened read-only",
            hint="this command writes: drop ?mode=ro from the URL",
        )
    if is_unavailable(exc):
        return unavailable_error(url, exc)
    return ConfigError(
        f"cannot use the database at {mask_password(url)}: {driver_message(exc)}",
        hint="check --db / PRIMA_DATABASE_URL and that the server is running",
    )


#: how a database error says that its transaction left nothing behind
NOTHING_SAVED = "; nothing of it was saved"


def database_said(err: PrimaError) -> str:
    """A database error's message for another error that says itself what was saved: a
    platform call made before the database failed is not "nothing"."""
    return err.message.removesuffix(NOTHING_SAVED)


def busy_error(exc: SQLAlchemyError) -> DatabaseBusy:
    """The DatabaseBusy (exit 75) for a transaction the database gave up on (see is_busy)."""
    return DatabaseBusy(
        f"the database gave up on a transaction because of other writers "
        f"({driver_message(exc)}){NOTHING_SAVED}",
        hint="run the command again",
    )


def unavailable_error(url: str, exc: SQLAlchemyError) -> DatabaseUnavailable:
    """The DatabaseUnavailable (exit 75) for the database at ``url`` (see is_unavailable),
    with a hint about disk space when the driver's message is about the disk."""
    reason = driver_message(exc)
    if _DISK_PROBLEM.search(reason):
        hint = ("free some disk space (or make the file system writable) where the database "
                "lives, then run the command again")  # fmt: skip
    else:
        hint = "check that the database server is running and reachable, then run the command again"
    return DatabaseUnavailable(
        f"the database at {mask_password(url)} is unavailable: {reason}", hint=hint
    )


#: PostgreSQL SQLSTATE classes of a server that is gone or cannot go on: connection
#: exception, insufficient resources (disk full, out of memory, too many connections),
#: operator intervention (administrator shutdown, crash shutdown, cannot connect now),
#: system error (I/O)
_POSTGRES_UNAVAILABLE_CLASSES = ("08", "53", "57", "58")
#: a read-only transaction: the server is a standby, e.g. during a failover
_POSTGRES_READ_ONLY = "25006"
#: MySQL/MariaDB client and server errors of the same kinds: cannot connect (2002, 2003),
#: gone away / lost (2006, 2013, 2055), shutdown in progress (1053), connection killed
#: (1927), disk full (1021), too many connections (1040), read-only (1290, 1836)
_MYSQL_UNAVAILABLE = frozenset({2002, 2003, 2006, 2013, 2055, 1053, 1927, 1021, 1040, 1290,
                                1836})  # fmt: skip
#: SQLite primary result codes: read-only, I/O error, disk full
_SQLITE_UNAVAILABLE = frozenset({8, 10, 13})
#: driver messages of connections that failed or dropped (psycopg reports most of these
#: without a SQLSTATE)
_UNREACHABLE = re.compile(
    r"connection refused|server closed the connection|connection is (closed|lost)"
    r"|consuming input failed|terminating connection|timeout expired|timed out"
    r"|no route to host|network is unreachable|connection reset|broken pipe"
    r"|lost connection|gone away|ssl syscall error|eof detected"
    r"|the database system is (shutting down|starting up|in recovery)",
    re.IGNORECASE,
)
_DISK_PROBLEM = re.compile(r"disk|no space|read-?only|i/o error", re.IGNORECASE)


def is_unavailable(exc: SQLAlchemyError) -> bool:
    """Whether the database could not be reached or failed under the command (connection
    refused or lost, server shut down, disk full or read-only): a later run can succeed."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and (
        sqlstate.startswith(_POSTGRES_UNAVAILABLE_CLASSES) or sqlstate == _POSTGRES_READ_ONLY
    ):
        return True
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in _SQLITE_UNAVAILABLE:
        return True
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int) and args[0] in _MYSQL_UNAVAILABLE:
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    return bool(_UNREACHABLE.search(str(orig)))


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


def _rollback_quietly(session: Session) -> None:
    """Roll back on the way out of a failed block. On a connection that is gone the
    rollback fails too, and the server has already discarded the transaction: the block's
    own error is the one to report."""
    with suppress(SQLAlchemyError):
        session.rollback()


@contextmanager
def session_scope(engine: Engine, url: str) -> Iterator[Session]:
    """A session committed on success and rolled back on error.

    A database that is busy (DatabaseBusy), unreachable or failing (DatabaseUnavailable)
    raises that typed error, with SQLAlchemy's as ``__cause__``; other operational errors
    are a ConfigError. Errors that callers handle themselves (IntegrityError...) pass as
    they are.
    """
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except DBAPIError as exc:
            _rollback_quietly(session)
            if isinstance(exc, (OperationalError, InterfaceError)) or is_unavailable(exc):
                raise connect_error(url, exc) from exc
            raise
        except BaseException:
            _rollback_quietly(session)
            raise
