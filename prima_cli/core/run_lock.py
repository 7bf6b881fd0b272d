"""One sync at a time per store: an advisory lock on PostgreSQL, GET_LOCK on MariaDB/MySQL,
a lock file beside the database on SQLite. Held for the whole run; released by the
database or the OS if the process dies, so a killed run never blocks the next one."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

from prima_cli.errors import ConfigError, TryAgainLater

if TYPE_CHECKING:
    from prima_cli.store.store import Store

POLL_SECONDS = 0.2


def _locked(name: str, wait: float) -> TryAgainLater:
    waited = f" after waiting {wait:g} s" if wait else ""
    return TryAgainLater(
        f"another `prima platforms {name}` is running on this store{waited}",
        hint="let it finish, or pass --wait SECONDS to wait for it",
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


def _poll(try_once: object, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        if try_once():  # type: ignore[operator]
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)


@contextmanager
def _pg_lock(store: Store, name: str, wait: float) -> Iterator[None]:
    key = zlib.crc32(f"prima.{name}".encode())
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        taken = _poll(
            lambda: conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar(),
            wait,
        )
        if not taken:
            raise _locked(name, wait)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})


@contextmanager
def _mysql_lock(store: Store, name: str, wait: float) -> Iterator[None]:
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        database = conn.execute(sa.text("SELECT DATABASE()")).scalar()
        lock_name = f"prima.{database}.{name}"[:64]  # GET_LOCK names are server-wide
        # polled like the others: GET_LOCK's own timeout is whole seconds on MySQL, so
        # --wait 0.5 would not have waited at all
        taken = _poll(
            lambda: conn.execute(sa.text("SELECT GET_LOCK(:n, 0)"), {"n": lock_name}).scalar() == 1,
            wait,
        )
        if not taken:
            raise _locked(name, wait)
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT RELEASE_LOCK(:n)"), {"n": lock_name})
