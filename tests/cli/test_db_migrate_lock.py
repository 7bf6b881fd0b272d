"""Two `prima db migrate` on one store at once (a deploy running it on every host): one
migrates, the other waits for it and finds nothing to do. Without the lock the second read
the schema half made and failed with exit 78 and a wrong hint: "table alembic_version
already exists" (SQLite), a duplicate type (PostgreSQL), "legacy `venues` and an
unversioned `venue_platforms` table ... migrate by hand" (MariaDB, whose DDL commits)."""

from __future__ import annotations

import subprocess

import pytest
import sqlalchemy as sa

from prima_cli.core import run_lock
from prima_cli.store import migrate
from prima_cli.store.store import Store
from prima_cli.store.url import normalise
from tests.conftest import CLI, prima_executable


def _tables(url: str) -> list[str]:
    engine = sa.create_engine(normalise(url))
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_a_migrate_waits_for_the_one_under_way(
    any_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(normalise(any_db_url), create=True)
    monkeypatch.setattr(migrate, "WAIT_SECONDS", 0.0)
    try:
        with run_lock.exclusive(store, migrate.LOCK_NAME):  # another host's migrate
            refused = CLI(any_db_url)("db", "migrate", "--json")
            assert refused.exit_code == 75, refused.stderr
            error = refused.error()
            assert error["message"] == "another `prima db migrate` is running on this store"
            assert error["retryable"] is True
            assert _tables(any_db_url) == []  # nothing of it was done
    finally:
        store.dispose()
    assert CLI(any_db_url).ok("db", "migrate", "--json").json()["applied"]


@pytest.mark.parametrize("db", ["sqlite", "postgres", "mysql"])
def test_two_migrates_at_once_both_succeed(db: str, request: pytest.FixtureRequest,
                                           tmp_path: object) -> None:  # fmt: skip
    url = (f"sqlite:///{tmp_path}/race.db" if db == "sqlite"
           else request.getfixturevalue(f"{db}_url"))  # fmt: skip
    runs = [
        subprocess.Popen([*prima_executable(), "--db", url, "db", "migrate", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    outcomes = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert [code for code, _out, _err in outcomes] == [0, 0], outcomes
    status = CLI(url).ok("db", "status", "--json").json()
    assert status["pending"] == []
