"""One sync (or one `prima db migrate`) at a time per store: an advisory lock on PostgreSQL,
GET_LOCK on MariaDB/MySQL, a lock file beside the database on SQLite. Held for the whole
run; released by the database or the OS if the process dies, so a killed run never blocks
the next one."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING

import sqlalchemy as sa

from prima_cli.errors import ConfigError, TryAgainLater

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from prima_cli.store.store import Store

POLL_SECONDS = 0.2


#: the command each lock stands for, as its message names it
_COMMANDS = {"migrate": "prima db migrate"}


def _locked(name: str, wait: float) -> TryAgainLater:
    waited = f" after waiting {wait:g} s" if wait else ""
    command = _COMMANDS.get(name, f"prima platforms {name}")
    return TryAgainLater(
        f"another `{command}` is running on this store{waited}",
        hint="let it finish, then run it again"
        if name in _COMMANDS
        else "let it finish, or pass --wait SECONDS to wait for it",
    )


@contextmanager
def exclusive(store: Store, name: str, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the store-wide lock ``name`` for the block; TryAgainLater (exit 75) if taken."""
    backend = store.engine.dialect.name
    if backend == "sqlite":
        with _file_lock(store, name, wait):
            yield
    elif backend == "postgresql":
        with _pg_lock(store, name, wait):
            yield
    elif backend in ("mysql", "mariadb"):
        with _mysql_lock(store, name, wait):
            yield
    else:  # pragma: no cover - only the three dialects are supported
        raise ConfigError(f"no run lock for the {backend} dialect")


@contextmanager
def _file_lock(store: Store, name: str, wait: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    from prima_cli.store.url import sqlite_path

    path = sqlite_path(store.url)
    if path is None:
        raise ConfigError("an in-memory SQLite database cannot be locked across processes")
    lock = FileLock(str(path) + f".{name}.lock", mode=0o600)
    try:
        lock.acquire(timeout=wait, poll_interval=POLL_SECONDS)
    except Timeout:
        raise _locked(name, wait) from None
    try:
        yield
    finally:
        lock.release()


def _poll(try_once: Callable[[], bool], wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        if try_once():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)


#: on one kept connection: (try to take the lock once, release it)
_Calls = tuple[Callable[[], bool], Callable[[], object]]


@contextmanager
def _session_lock(
    store: Store, name: str, wait: float, prepare: Callable[[Connection], _Calls]
) -> Iterator[None]:
    """Hold a lock that lives with one database session for the block.

    A database that cannot be reached while the lock is taken is DatabaseUnavailable
    (exit 75), as anywhere else. If the server goes away while the block runs, the lock
    went with its session: a failing release does not hide the block's own error, and after
    a block that succeeded, a lost connection is no failure either.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from prima_cli.store.engine import connect_error, is_unavailable

    try:
        conn = store.engine.connect()
    except SQLAlchemyError as exc:
        raise connect_error(store.url, exc) from exc
    try:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        try:
            take, release = prepare(conn)
            taken = _poll(take, wait)
        except SQLAlchemyError as exc:
            raise connect_error(store.url, exc) from exc
        if not taken:
            raise _locked(name, wait)
        body_failed = True
        try:
            yield
            body_failed = False
        finally:
            try:
                release()
            except SQLAlchemyError as exc:
                if not body_failed and not is_unavailable(exc):
                    raise connect_error(store.url, exc) from exc
    finally:
        with suppress(SQLAlchemyError):
            conn.close()


def _pg_calls(key: int) -> Callable[[Connection], _Calls]:
    def prepare(conn: Connection) -> _Calls:
        def take() -> bool:
            return bool(
                conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            )

        return take, lambda: conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    return prepare


@contextmanager
def _pg_lock(store: Store, name: str, wait: float) -> Iterator[None]:
    key = zlib.crc32(f"prima.{name}".encode())
    with _session_lock(store, name, wait, _pg_calls(key)):
        yield


def _mysql_calls(name: str) -> Callable[[Connection], _Calls]:
    def prepare(conn: Connection) -> _Calls:
        database = conn.execute(sa.text("SELECT DATABASE()")).scalar()
        lock_name = f"prima.{database}.{name}"[:64]  # GET_LOCK names are server-wide

        def take() -> bool:
            # polled like the others: GET_LOCK's own timeout is whole seconds on MySQL, so
            # --wait 0.5 would not have waited at all
            return conn.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {"n": lock_name}).scalar() == 1

        return take, lambda: conn.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": lock_name})

    return prepare


@contextmanager
def _mysql_lock(store: Store, name: str, wait: float) -> Iterator[None]:
    with _session_lock(store, name, wait, _mysql_calls(name)):
        yield
