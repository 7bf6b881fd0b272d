"""Concurrent writers: a deadlock is "busy, nothing saved, try again" (exit 75), not a broken
database (exit 78), and the sync's transactions run again by themselves."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
import stamina

from prima_cli.errors import ConfigError, DatabaseBusy, ExitCode


@pytest.fixture(params=["postgres", "mysql"])
def server_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


def test_a_real_deadlock_is_database_busy(server_url: str) -> None:
    """Two transactions lock two rows in opposite orders; the server kills one of them."""
    from prima_cli.store.store import Store
    from prima_cli.store.url import normalise

    setup = sa.create_engine(normalise(server_url))
    with setup.begin() as conn:
        conn.execute(sa.text("CREATE TABLE pair (id INTEGER PRIMARY KEY, n INTEGER)"))
        conn.execute(sa.text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    setup.dispose()
    store = Store(server_url)
    both_locked_first = threading.Barrier(2, timeout=10)
    outcomes: dict[int, BaseException | None] = {}

    def writer(first: int, second: int) -> None:
        try:
            with store.session() as session:
                session.execute(sa.text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": first})
                both_locked_first.wait()
                session.execute(sa.text("UPDATE pair SET n = n + 1 WHERE id = :i"), {"i": second})
            outcomes[first] = None
        except BaseException as exc:  # the test inspects it
            outcomes[first] = exc

    threads = [threading.Thread(target=writer, args=pair) for pair in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    store.dispose()
    errors = [e for e in outcomes.values() if e is not None]
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    (busy,) = errors
    assert isinstance(busy, DatabaseBusy) and not isinstance(busy, ConfigError)
    assert busy.exit_code == ExitCode.TEMPFAIL
    assert "nothing of it was saved" in busy.message and "password" not in busy.message


def test_sync_transactions_run_again_when_the_database_was_busy() -> None:
    from prima_cli.core.db_retry import when_free

    calls: list[int] = []

    def flaky(n: int) -> int:
        calls.append(n)
        if len(calls) < 3:
            raise DatabaseBusy("deadlock")
        return n * 2

    with stamina.set_testing(True, attempts=6):
        assert when_free(flaky, 21) == 42
        assert calls == [21, 21, 21]

        def always(_n: int) -> int:
            raise DatabaseBusy("deadlock")

        with pytest.raises(DatabaseBusy):
            when_free(always, 1)

        def broken(_n: int) -> int:
            raise ConfigError("no such table")

        with pytest.raises(ConfigError):  # only "busy" is worth another run
            when_free(broken, 1)
