"""`prima db migrate` after prima is upgraded with a newer job engine: the engine's own
migration scripts between the recorded release and the installed one are applied in order,
in the migration's transaction, and workers refuse a schema that is behind.

A newer engine is staged by pointing ``job_schema`` at a copy of the installed engine's
scripts plus two of a made-up release 3.99.0 (a "pre" and a "post" script, as the engine
ships them) and saying 3.99.0 is installed; the commands run in process (``CLI``).

The engine names a script after its latest release when the script is written, which is
the release whose schema it upgrades; a later release ships it (procrastinate's
CONTRIBUTING.md: "xx.yy.zz is the number of the latest released version"). So 3.99.0's
scripts are named after the installed release, as the engine's next release ships them:
its repository's main holds 03.10.00_01_pre_add_lock_mode.sql, that 3.10.0 lacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from prima_cli.store import job_schema
from prima_cli.store.url import normalise
from tests.conftest import CLI
from tests.integration.workers_support import rows, scalar

pytestmark = pytest.mark.postgres

INSTALLED = job_schema.shown(job_schema.installed_version())
#: how the engine's scripts written after the installed release are named
PREFIX = ".".join(f"{part:02d}" for part in job_schema.installed_version())


def _recorded(url: str) -> str:
    return str(scalar(url, f"SELECT version FROM {job_schema.VERSION_TABLE}"))


def _stage_release(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pre: str, post: str
) -> list[str]:
    """Make 3.99.0 the installed engine, with these two scripts of its own."""
    scripts = tmp_path / "migrations"
    shutil.copytree(job_schema.migrations_dir(), scripts)
    names = [f"{PREFIX}_01_pre_add_marker.sql", f"{PREFIX}_50_post_fill_marker.sql"]
    (scripts / names[0]).write_text(pre, encoding="utf-8")
    (scripts / names[1]).write_text(post, encoding="utf-8")
    monkeypatch.setattr(job_schema, "migrations_dir", lambda: scripts)
    monkeypatch.setattr(job_schema, "installed_version", lambda: (3, 99, 0))
    return [n.removesuffix(".sql") for n in names]


def test_migrate_records_the_engine_release_and_applies_none_of_its_old_scripts(
    postgres_url: str,
) -> None:
    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    assert _recorded(postgres_url) == INSTALLED
    # a store whose schema was applied before prima kept the record: nothing is re-run
    engine = sa.create_engine(normalise(postgres_url))
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {job_schema.VERSION_TABLE}"))
    engine.dispose()
    again = cli.ok("db", "migrate", "--json").json()
    assert again["notes"] == []
    assert _recorded(postgres_url) == INSTALLED
    assert cli("worker", "status", "--json").exit_code == 0


def test_a_newer_engine_is_refused_by_workers_until_migrate_applies_its_scripts(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    names = _stage_release(monkeypatch, tmp_path,
                           "CREATE TABLE prima_marker (step text NOT NULL);",
                           "INSERT INTO prima_marker (step) VALUES ('post');")  # fmt: skip
    for args in (("worker", "status"), ("worker", "run", "--one-shot"),
                 ("platforms", "sync", "--enqueue")):  # fmt: skip
        refused = cli(*args)
        assert refused.exit_code == 78, (args, refused.stderr)
        assert f"procrastinate {INSTALLED}, older than the installed 3.99.0" in refused.stderr
        assert "run `prima db migrate`" in refused.stderr
    doctor = cli("doctor", "--json")
    assert doctor.exit_code == 78
    [engine] = [c for c in doctor.json()["checks"] if c["name"] == "job engine"]
    assert engine["ok"] is False and "2 migration script(s)" in engine["detail"]
    done = cli.ok("db", "migrate", "--json").json()
    assert done["notes"] == [f"upgraded the job engine's schema from procrastinate {INSTALLED} "
                             f"to 3.99.0 ({', '.join(names)})"]  # fmt: skip
    assert rows(postgres_url, "SELECT step FROM prima_marker") == [("post",)]  # pre, then post
    assert _recorded(postgres_url) == "3.99.0"
    assert cli.ok("db", "migrate", "--json").json()["notes"] == []  # applied once
    assert cli("worker", "status", "--json").exit_code == 0
    [engine] = [c for c in cli.ok("doctor", "--json").json()["checks"]
                if c["name"] == "job engine"]  # fmt: skip
    assert (engine["ok"], engine["detail"]) == (True, "tables of procrastinate 3.99.0")


def test_a_failing_engine_script_leaves_the_store_as_it_was(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    _stage_release(monkeypatch, tmp_path, "CREATE TABLE prima_marker (step text);",
                   "INSERT INTO no_such_table VALUES (1);")  # fmt: skip
    failed = cli("db", "migrate", "--json")
    assert failed.exit_code == 78, failed.stderr
    assert f"migration script {PREFIX}_50_post_fill_marker.sql failed" in failed.stderr
    assert "no_such_table" in failed.stderr and "Traceback" not in failed.stderr
    # one transaction: the "pre" script's table is gone with it, the record unchanged
    assert scalar(postgres_url, "SELECT to_regclass('prima_marker')") is None
    assert _recorded(postgres_url) == INSTALLED


def test_db_status_counts_the_engine_scripts_still_to_apply(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A deploy that runs `prima db migrate` only when `db status` says so must not leave the
    workers refusing a schema `db status` called up to date."""
    cli = CLI(postgres_url)
    cli.ok("db", "migrate")
    assert cli.ok("db", "status", "--json").json()["up_to_date"] is True
    names = _stage_release(monkeypatch, tmp_path, "CREATE TABLE prima_marker (step text);",
                           "INSERT INTO prima_marker (step) VALUES ('post');")  # fmt: skip
    behind = cli.ok("db", "status", "--json").json()
    assert behind["up_to_date"] is False
    assert behind["pending"] == [f"procrastinate {name}" for name in names]
    assert behind["current"] == behind["head"]  # the store's own schema is current
    cli.ok("db", "migrate")
    assert cli.ok("db", "status", "--json").json()["up_to_date"] is True
    # the engine's tables themselves, on a store migrated before the workers extra was there
    engine = sa.create_engine(normalise(postgres_url))
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {job_schema.JOBS_TABLE} CASCADE"))
    engine.dispose()
    missing = cli.ok("db", "status", "--json").json()
    assert missing["up_to_date"] is False
    assert missing["pending"] == ["procrastinate 3.99.0 (the job engine's tables)"]
