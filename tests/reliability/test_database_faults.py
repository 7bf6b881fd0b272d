"""The database fails under prima: a PostgreSQL server of the test's own stopped (an
administrator's shutdown) or killed mid-command, down before a command, and a SQLite store on
a small tmpfs that fills up. Each is "try again later" (exit 75, `database_unavailable`) with
one sentence naming the database (password masked) and a hint, never a SQL statement or its
parameters; a bad URL stays a configuration error (78); the next run after the database is
back completes.

The private server and the tmpfs are started, stopped and filled from simulator hooks, at the
moment the platform receives the request, so nothing here waits for a fixed time.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from prima_cli.errors import DatabaseUnavailable, ExitCode
from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, run_prima
from tests.full_disk import SmallDisk, mount_problem
from tests.integration.conftest import cm_settings, restoo_settings
from tests.private_postgres import PostgresUnavailable, PrivatePostgres
from tests.reliability.support import create_args, local_bookings, no_traceback, when_called

#: what a SQL statement or SQLAlchemy's rendering of one looks like in a message
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b|\[SQL|\[parameters|sqlalche\.me|%\(\w+\)s")


def assert_no_sql(*texts: str) -> None:
    for text in texts:
        assert not SQL.search(text), text
    no_traceback(*texts)


def _unavailable_here(reason: str) -> None:
    if os.environ.get("PRIMA_REQUIRE_SERVICES"):  # CI: these tests must run, never skip
        pytest.fail(f"PRIMA_REQUIRE_SERVICES is set but {reason}")
    pytest.skip(reason)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    """One private server per module (initdb costs a second); each test gets a database."""
    try:
        server = PrivatePostgres()
    except PostgresUnavailable as exc:
        _unavailable_here(f"no private PostgreSQL on this machine: {exc}")
    with server:
        yield server


@pytest.fixture
def pg(private_pg: PrivatePostgres) -> Iterator[PrivatePostgres]:
    private_pg.start()  # a previous test may have left it stopped
    yield private_pg
    private_pg.start()


@pytest.fixture
def pg_url(pg: PrivatePostgres) -> Iterator[str]:
    """A fresh database on the private server (dropped with the server running again)."""
    name = f"prima_f_{uuid.uuid4().hex[:10]}"
    yield pg.create_database(name)
    pg.start()
    pg.drop_database(name)


@pytest.fixture
def small_disk() -> Iterator[SmallDisk]:
    problem = mount_problem()
    if problem is not None:
        _unavailable_here(f"a full SQLite disk needs a small tmpfs: {problem}")
    with SmallDisk() as disk:
        yield disk


def _store_with_connection(cli: CLI, sb: Sandbox, platform: str = "covermanager") -> CLI:
    cli.ok("db", "migrate")
    cli.ok("venues", "add", "Madrid", "--slug", "madrid", "--timezone", "Europe/Madrid",
           "--country", "ES")  # fmt: skip
    settings = (cm_settings(sb) if platform == "covermanager"
                else restoo_settings(sb, account="prima-sbx-barcelona"))  # fmt: skip
    cli.ok("platforms", "add", "madrid", platform, *settings)
    return cli


@pytest.fixture
def pg_cli(pg_url: str, sandbox: Sandbox) -> CLI:
    """A migrated store on the private server, venue `madrid` on the simulator's CoverManager."""
    return _store_with_connection(CLI(pg_url), sandbox)


@pytest.fixture
def full_disk_cli(small_disk: SmallDisk, sandbox: Sandbox) -> CLI:
    """The same on a SQLite file in the small tmpfs."""
    return _store_with_connection(CLI(f"sqlite:///{small_disk.path / 'prima.db'}"), sandbox)


def unavailable(stderr: str, database: str) -> dict[str, Any]:
    """The JSON error of a `database_unavailable` failure, checked."""
    assert_no_sql(stderr)
    error = json.loads(stderr)["error"]
    assert error["type"] == "database_unavailable", error
    assert database in error["message"] and error["hint"], error
    assert "\n" not in error["message"]
    return error


def shown(url: str) -> str:
    """How messages name the database at ``url`` (our driver, password masked)."""
    from prima_cli.store.url import mask_password, normalise

    return mask_password(normalise(url))


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("how", ["stop", "kill"])
def test_sync_with_postgres_gone_mid_run_is_75_and_the_next_run_completes(
    how: str, pg: PrivatePostgres, pg_url: str, pg_cli: CLI, sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The real executable, as cron runs it: the server goes away while the run holds the
    store lock and the platform answers the availability call."""
    fired = when_called(monkeypatch, sandbox.state, "free_covers", getattr(pg, how))
    proc = run_prima(["--db", pg_url, "platforms", "sync", "--json"])
    assert fired, "the sync never asked for availability"
    assert proc.returncode == ExitCode.TEMPFAIL, proc.stderr
    unavailable(proc.stderr, shown(pg_url))
    assert_no_sql(proc.stdout)

    human = run_prima(["--db", pg_url, "platforms", "sync"])  # still down: the same, in words
    assert human.returncode == ExitCode.TEMPFAIL
    assert_no_sql(human.stderr)
    assert human.stderr.startswith(f"error: the database at {shown(pg_url)} is unavailable")
    assert "hint:" in human.stderr

    pg.start()
    monkeypatch.undo()
    again = run_prima(["--db", pg_url, "platforms", "sync", "--json"])
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "ok"
    runs = pg_cli.ok("platforms", "history", "--json").json()
    assert [r["status"] for r in runs] == ["ok", "interrupted"]


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_commands_with_the_server_down_are_75_not_78(
    how: str, pg: PrivatePostgres, pg_url: str, pg_cli: CLI
) -> None:
    getattr(pg, how)()
    for args in (["venues", "list"], ["venues", "add", "Sevilla"], ["db", "status"],
                 ["bookings", "list"], ["platforms", "history"]):  # fmt: skip
        result = pg_cli(*args, "--json")
        assert result.exit_code == ExitCode.TEMPFAIL, (args, result.stderr)
        unavailable(result.stderr, shown(pg_url))
    pg.start()
    assert pg_cli.ok("venues", "list", "--json").json()[0]["slug"] == "madrid"


def test_a_password_is_masked_when_the_server_is_down(pg: PrivatePostgres) -> None:
    url = f"postgresql://postgres:hunter2secret@127.0.0.1:{pg.port}/postgres"
    pg.stop()
    result = CLI(url)("venues", "list", "--json")
    assert result.exit_code == ExitCode.TEMPFAIL
    error = unavailable(result.stderr, f"postgresql+psycopg://postgres:***@127.0.0.1:{pg.port}")
    assert "hunter2secret" not in result.stderr, error


def test_bad_urls_and_missing_databases_stay_configuration_errors(pg: PrivatePostgres) -> None:
    """A server that answers "no such database" is reachable: the URL is wrong, not the
    server's state (78). The same for URLs that are malformed or name no database."""
    for url, needle in (
        (pg.url_for("no_such_db"), 'database "no_such_db" does not exist'),
        (f"postgresql://postgres@127.0.0.1:{pg.port}", "names no database"),
        (f"postgresql://postgres@127.0.0.1:{pg.port}x/db", "invalid database URL"),
    ):
        result = CLI(url)("venues", "list", "--json")
        assert result.exit_code == ExitCode.CONFIG, (url, result.stderr)
        assert needle in result.error()["message"]
        assert_no_sql(result.stderr)


def test_an_empty_database_still_needs_migrate_with_the_server_up(pg_url: str) -> None:
    result = CLI(pg_url)("venues", "list", "--json")
    assert result.exit_code == ExitCode.CONFIG
    error = result.error()
    assert error["type"] == "schema_not_migrated" and "prima db migrate" in error["hint"]


def test_store_sessions_raise_database_unavailable_with_the_cause(
    pg: PrivatePostgres, pg_url: str
) -> None:
    """What use cases rely on: a session whose server goes away, at its first statement,
    mid-transaction or at commit, raises DatabaseUnavailable from SQLAlchemy's error."""
    from prima_cli.store.store import Store

    store = Store(pg_url)
    try:
        with store.session() as session:  # a pooled connection, then the server goes
            session.execute(sa.text("SELECT 1"))
        pg.stop()
        with pytest.raises(DatabaseUnavailable) as first, store.session() as session:
            session.execute(sa.text("SELECT 1"))
        assert isinstance(first.value.__cause__, sa.exc.OperationalError)
        pg.start()
        with pytest.raises(DatabaseUnavailable) as mid, store.session() as session:
            session.execute(sa.text("CREATE TABLE t (n INTEGER)"))
            pg.kill()
            session.execute(sa.text("INSERT INTO t VALUES (:n)"), {"n": 424242})
        assert isinstance(mid.value.__cause__, sa.exc.DBAPIError)
        assert_no_sql(mid.value.message, mid.value.hint or "")
        assert "424242" not in mid.value.message
        pg.start()
        with pytest.raises(DatabaseUnavailable) as at_commit, store.session() as session:
            session.execute(sa.text("CREATE TABLE t (n INTEGER)"))
            pg.stop()
        assert isinstance(at_commit.value.__cause__, sa.exc.DBAPIError)
        pg.start()
        with store.session() as session:  # nothing of the failed transactions was saved
            assert session.execute(sa.text("SELECT to_regclass('t')")).scalar() is None
    finally:
        store.dispose()


def test_the_run_lock_with_the_server_gone(pg: PrivatePostgres, pg_url: str) -> None:
    """Taking the lock with the server down is 75; a server gone while it is held loses
    the lock with its session, and the release neither fails a run that succeeded nor
    replaces the run's own error; after a restart the lock is free."""
    from prima_cli.core import run_lock
    from prima_cli.store.store import Store

    store = Store(pg_url)
    try:
        with run_lock.exclusive(store, "sync"):
            pg.kill()
        with (
            pytest.raises(DatabaseUnavailable) as taken,
            run_lock.exclusive(store, "sync"),
        ):
            pass
        assert_no_sql(taken.value.message)
        pg.start()
        own = DatabaseUnavailable("the run's own error")
        with pytest.raises(DatabaseUnavailable) as kept, run_lock.exclusive(store, "sync"):
            pg.stop()
            raise own
        assert kept.value is own
        pg.start()
        with run_lock.exclusive(store, "sync"), run_lock.exclusive(Store(pg_url), "other"):
            pass
    finally:
        store.dispose()


# --- bookings (their messages belong to the booking state machine) ------------------------


def test_create_with_the_database_stopped_after_the_platform_booked_is_8_without_sql(
    pg: PrivatePostgres, pg_url: str, pg_cli: CLI, sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    fired = when_called(monkeypatch, sandbox.state, "book", pg.stop)
    result = pg_cli(*create_args(), "--reference", "order-1", "--json")
    assert fired and len(sandbox.state.reservations()) == 1
    # the platform holds it: outcome unknown (reconcile), never "try again"
    assert result.exit_code == ExitCode.OUTCOME_UNKNOWN, result.stderr
    unavailable(result.stderr, shown(pg_url))
    assert "Lucía" not in result.stderr and "612" not in result.stderr


def test_create_with_the_database_stopped_after_the_platform_booked_names_it_and_reconciles(
    pg: PrivatePostgres, pg_url: str, pg_cli: CLI, sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    when_called(monkeypatch, sandbox.state, "book", pg.stop)
    result = pg_cli(*create_args(), "--json")  # no key: only the error can name it
    assert result.exit_code == ExitCode.OUTCOME_UNKNOWN, result.stderr
    error = unavailable(result.stderr, shown(pg_url))
    reference = error.get("booking")
    assert reference, error
    assert f"prima bookings reconcile {reference}" in error["hint"]
    pg.start()
    monkeypatch.undo()
    pg_cli.ok("bookings", "reconcile", "--json")
    booking = pg_cli.ok("bookings", "show", reference, "--json").json()
    assert booking["status"] == "confirmed"
    (held,) = sandbox.state.reservations()
    assert held.active and booking["external_id"] == held.id


@pytest.mark.parametrize("platform", ["covermanager", "restoo"])
def test_cancel_with_the_database_stopped_after_the_platform_cancelled_then_a_rerun(
    platform: str, pg: PrivatePostgres, pg_url: str, sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    pg_cli = _store_with_connection(CLI(pg_url), sandbox, platform)
    pg_cli.ok(*create_args(), "--reference", "order-2")
    when_called(monkeypatch, sandbox.state, "set_status", pg.stop)
    result = pg_cli("bookings", "cancel", "order-2", "--json")
    (held,) = sandbox.state.reservations()
    assert not held.active  # the platform did cancel
    assert result.exit_code == ExitCode.TEMPFAIL, result.stderr
    unavailable(result.stderr, shown(pg_url))
    pg.start()
    monkeypatch.undo()
    rerun = pg_cli("bookings", "cancel", "order-2", "--json")
    assert rerun.exit_code == 0, rerun.stderr
    assert [b["status"] for b in local_bookings(pg_cli)] == ["cancelled"]


# --- a full SQLite disk -------------------------------------------------------------------


@pytest.mark.slow
def test_sync_on_a_disk_that_fills_mid_run_is_75_and_the_next_run_completes(
    small_disk: SmallDisk, full_disk_cli: CLI, sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    url = f"sqlite:///{small_disk.path / 'prima.db'}"
    fired = when_called(monkeypatch, sandbox.state, "free_covers", small_disk.fill)
    proc = run_prima(["--db", url, "platforms", "sync", "--json"])
    assert fired
    assert proc.returncode == ExitCode.TEMPFAIL, proc.stderr
    error = unavailable(proc.stderr, url)
    assert "disk is full" in error["message"] and "disk space" in error["hint"]
    small_disk.free()
    monkeypatch.undo()
    again = run_prima(["--db", url, "platforms", "sync", "--json"])
    assert again.returncode == 0, again.stderr
    runs = full_disk_cli.ok("platforms", "history", "--json").json()
    assert [r["status"] for r in runs] == ["ok", "interrupted"]


def test_create_on_a_full_disk_after_the_platform_booked_is_8_without_sql(
    small_disk: SmallDisk, full_disk_cli: CLI, sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    when_called(monkeypatch, sandbox.state, "book", small_disk.fill)
    result = full_disk_cli(*create_args(), "--reference", "order-3", "--json")
    assert len(sandbox.state.reservations()) == 1
    assert result.exit_code == ExitCode.OUTCOME_UNKNOWN, result.stderr
    unavailable(result.stderr, f"sqlite:///{small_disk.path / 'prima.db'}")


# --- errors that reach the last-resort handler ----------------------------------------------


class _DriverError(Exception):
    """Stands in for a driver's exception: a first line, then details that quote values."""


def _raising(exc: BaseException) -> Callable[..., Any]:
    def raise_it(*_args: Any, **_kwargs: Any) -> Any:
        raise exc

    return raise_it


_STATEMENT = "INSERT INTO bookings (email, phone) VALUES (%(email)s, %(phone)s)"
_PARAMS = {"email": "lucia.fernandez@gmail.com", "phone": "+34612483907"}


@pytest.mark.parametrize("kind", ["IntegrityError", "DataError", "ProgrammingError"])
@pytest.mark.parametrize("verbose", [False, True])
def test_unmapped_database_errors_print_the_class_and_the_drivers_first_line_only(
    kind: str, verbose: bool, migrated: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = _DriverError(
        'duplicate key value violates unique constraint "bookings_email"\n'
        "DETAIL:  Key (email)=(lucia.fernandez@gmail.com) already exists."
    )
    exc = getattr(sa.exc, kind)(_STATEMENT, _PARAMS, driver)
    monkeypatch.setattr("prima_cli.core.venues.list_all", _raising(exc))
    for json_flag in ([], ["--json"]):
        result = migrated(*(["--verbose"] if verbose else []), "venues", "list", *json_flag)
        assert result.exit_code == ExitCode.INTERNAL
        assert f"internal error: {kind}: duplicate key value violates unique constraint" in (
            result.stderr
        )
        for secret in ("lucia", "612483907", "INSERT", "%(email)s", "[parameters", "DETAIL"):
            assert secret not in result.stderr, (secret, result.stderr)
        if verbose and not json_flag:
            assert "Traceback (most recent call last)" in result.stderr


def test_a_lost_connection_no_layer_mapped_is_still_75(
    migrated: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = _DriverError("server closed the connection unexpectedly")
    exc = sa.exc.OperationalError(_STATEMENT, _PARAMS, driver, connection_invalidated=True)
    monkeypatch.setattr("prima_cli.core.venues.list_all", _raising(exc))
    result = migrated("venues", "list", "--json")
    assert result.exit_code == ExitCode.TEMPFAIL
    error = unavailable(result.stderr, "sqlite:///")
    assert "server closed the connection unexpectedly" in error["message"]
    assert "lucia" not in result.stderr
