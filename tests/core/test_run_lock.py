"""The store-wide run lock on every backend: taken once, refused at once or after --wait
(fractions of a second included), granted to a waiter when the holder lets go."""

from __future__ import annotations

import threading
import time

import pytest

from prima_cli.core import run_lock
from prima_cli.errors import ExitCode, TryAgainLater
from prima_cli.store.store import Store


def _store(url: str) -> Store:
    return Store(url, create=True)


def test_a_second_holder_is_refused_after_a_fractional_wait(any_db_url: str) -> None:
    holder, other = _store(any_db_url), _store(any_db_url)
    try:
        with run_lock.exclusive(holder, "sync"):
            started = time.monotonic()
            with pytest.raises(TryAgainLater) as refused, run_lock.exclusive(other, "sync"):
                pass
            assert time.monotonic() - started < 0.5  # no --wait: at once
            assert refused.value.exit_code == ExitCode.TEMPFAIL
            started = time.monotonic()
            with (
                pytest.raises(TryAgainLater, match=r"after waiting 0\.6 s"),
                run_lock.exclusive(other, "sync", wait=0.6),
            ):
                pass
            assert time.monotonic() - started >= 0.55
        with run_lock.exclusive(other, "sync"):  # released: taken at once
            pass
    finally:
        holder.dispose()
        other.dispose()


def test_a_waiter_gets_the_lock_when_the_holder_lets_go(any_db_url: str) -> None:
    holder, waiter = _store(any_db_url), _store(any_db_url)
    taken = threading.Event()

    def hold() -> None:
        with run_lock.exclusive(holder, "sync"):
            taken.set()
            time.sleep(0.5)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert taken.wait(10)
        started = time.monotonic()
        with run_lock.exclusive(waiter, "sync", wait=10):
            waited = time.monotonic() - started
        assert 0.2 <= waited < 5
    finally:
        thread.join(10)
        holder.dispose()
        waiter.dispose()


def test_locks_of_other_names_do_not_block_each_other(any_db_url: str) -> None:
    first, second = _store(any_db_url), _store(any_db_url)
    try:
        with run_lock.exclusive(first, "sync"), run_lock.exclusive(second, "other"):
            pass
    finally:
        first.dispose()
        second.dispose()
