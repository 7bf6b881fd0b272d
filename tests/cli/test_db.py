"""`prima db migrate|status`, the legacy CoverManager migration and adoption of exports,
on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from prima_cli.store import schema
from prima_cli.store.url import normalise
from tests.conftest import CLI

LAST_SYNC = dt.datetime(2025, 6, 1, 10, 30, tzinfo=dt.UTC)


def legacy_rows() -> list[dict]:
    base = {"timezone": "Europe/Madrid", "country": "ES"}
    return [
        # migrated, enabled because its sync flag was on
        {
            **base,
            "id": 1,
            "name": "Uno",
            "slug": "uno",
            "uses_covermanager": True,
            "covermanager_id": "rest-uno",
            "covermanager_sync_enabled": True,
            "last_covermanager_sync": LAST_SYNC,
        },
        # migrated but disabled: the reference forced true, we keep the operator's flag
        {
            **base,
            "id": 2,
            "name": "Dos",
            "slug": "dos",
            "uses_covermanager": True,
            "covermanager_id": "rest-dos",
            "covermanager_sync_enabled": False,
            "last_covermanager_sync": None,
        },
        # not a CoverManager venue
        {
            **base,
            "id": 3,
            "name": "Tres",
            "slug": "tres",
            "uses_covermanager": False,
            "covermanager_id": "ignored",
            "covermanager_sync_enabled": True,
            "last_covermanager_sync": None,
        },
        # flagged but without an id: reported, not migrated
        {
            **base,
            "id": 4,
            "name": "Cuatro",
            "slug": "cuatro",
            "uses_covermanager": True,
            "covermanager_id": None,
            "covermanager_sync_enabled": True,
            "last_covermanager_sync": None,
        },
    ]


def create_legacy_export(url: str) -> None:
    """A database as the old system left it: legacy venues, no alembic_version."""
    engine = sa.create_engine(normalise(url))
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE venues (id INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                "slug VARCHAR(100) NOT NULL UNIQUE, timezone VARCHAR(64) NOT NULL, "
                "country VARCHAR(2), created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, "
                "uses_covermanager BOOLEAN NOT NULL, covermanager_id VARCHAR(255), "
                "covermanager_sync_enabled BOOLEAN NOT NULL, last_covermanager_sync TIMESTAMP NULL)"
            )
        )
        for row in legacy_rows():
            values = dict(row, created_at=now, updated_at=now)
            if values["last_covermanager_sync"] is not None:
                values["last_covermanager_sync"] = LAST_SYNC.replace(tzinfo=None)
            conn.execute(
                sa.text(
                    "INSERT INTO venues VALUES (:id, :name, :slug, :timezone, :country,"
                    " :created_at, :updated_at, :uses_covermanager, :covermanager_id,"
                    " :covermanager_sync_enabled, :last_covermanager_sync)"
                ),
                values,
            )
    engine.dispose()


def check_migrated_connections(cli: CLI) -> None:
    conns = {c["venue"]: c for c in cli.ok("platforms", "list", "--json").json()}
    assert set(conns) == {"uno", "dos"}
    uno, dos = conns["uno"], conns["dos"]
    assert uno["platform_type"] == "covermanager"
    assert uno["configuration"] == {
        "restaurant_id": "rest-uno",
        "api_key": "env:COVERMANAGER_API_KEY",
    }
    assert uno["enabled"] is True
    assert dt.datetime.fromisoformat(uno["last_synced_at"]) == LAST_SYNC
    assert dos["enabled"] is False
    assert dos["last_synced_at"] is None
    # the legacy columns stay
    venues = {v["slug"] for v in cli.ok("venues", "list", "--json").json()}
    assert venues == {"uno", "dos", "tres", "cuatro"}


def test_migrate_is_idempotent_and_status_reports(any_db_url: str) -> None:
    cli = CLI(any_db_url)
    status = cli.ok("db", "status", "--json").json()
    assert status["current"] is None
    assert status["pending"] == list(schema.REVISIONS)
    assert status["up_to_date"] is False
    first = cli.ok("db", "migrate", "--json").json()
    assert (first["from_revision"], first["to_revision"]) == (None, schema.HEAD)
    assert first["applied"] == list(schema.REVISIONS)
    second = cli.ok("db", "migrate")
    assert "nothing to do" in second.stderr
    status = cli.ok("db", "status", "--json").json()
    assert status == {**status, "current": schema.HEAD, "pending": [], "up_to_date": True}
    cli.ok("venues", "add", "Uno")
    assert cli.ok("venues", "list", "--json").json()[0]["slug"] == "uno"


def test_legacy_venues_migrate_into_connections(any_db_url: str) -> None:
    """Legacy rows written at revision 0001 become connections at 0002, once."""
    from prima_cli.store import migrate
    from prima_cli.store.store import Store

    store = Store(normalise(any_db_url), create=True)
    with store.engine.begin() as conn:
        from alembic import command

        cfg = migrate._config(conn, [])
        command.upgrade(cfg, schema.LEGACY)
        now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        from prima_cli.store.types import UTCDateTime

        venues = sa.Table(
            "venues",
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True),
            *(
                sa.Column(k, UTCDateTime() if k.startswith("last_") else sa.String)
                for k in (
                    "name",
                    "slug",
                    "timezone",
                    "country",
                    "covermanager_id",
                    "last_covermanager_sync",
                )
            ),
            sa.Column("uses_covermanager", sa.Boolean),
            sa.Column("covermanager_sync_enabled", sa.Boolean),
            sa.Column("created_at", UTCDateTime()),
            sa.Column("updated_at", UTCDateTime()),
        )
        conn.execute(
            venues.insert(), [dict(r, created_at=now, updated_at=now) for r in legacy_rows()]
        )
    store.dispose()
    cli = CLI(any_db_url)
    result = cli.ok("db", "migrate", "--json").json()
    assert result["from_revision"] == schema.LEGACY
    assert result["applied"] == list(schema.REVISIONS[1:])
    assert any("cuatro" in note for note in result["notes"])
    assert any("migrated 2 legacy" in note for note in result["notes"])
    check_migrated_connections(cli)
    cli.ok("db", "migrate")
    assert len(cli.ok("platforms", "list", "--json").json()) == 2


@pytest.mark.parametrize("dialect", ["sqlite", "postgres", "mysql"])
def test_adopts_a_legacy_export(dialect: str, request: pytest.FixtureRequest, tmp_path) -> None:
    url = (
        f"sqlite:///{tmp_path / 'legacy.db'}"
        if dialect == "sqlite"
        else request.getfixturevalue(f"{dialect}_url")
    )
    create_legacy_export(url)
    cli = CLI(url)
    status = cli.ok("db", "status", "--json").json()
    assert status["adoptable_legacy"] is True
    assert status["pending"] == list(schema.REVISIONS[1:])
    refused = cli("venues", "list")
    assert refused.exit_code == 78
    result = cli.ok("db", "migrate")
    assert "legacy venues table without version information" in result.stderr
    assert "adopted" in result.stderr
    check_migrated_connections(cli)
    again = cli.ok("db", "migrate", "--json").json()
    assert again["applied"] == [] and again["adopted_legacy"] is False
    assert len(cli.ok("platforms", "list", "--json").json()) == 2


def test_unknown_venues_table_is_refused(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE venues (id INTEGER PRIMARY KEY, title TEXT)"))
    engine.dispose()
    result = CLI(url)("db", "migrate")
    assert result.exit_code == 78
    assert "does not recognise" in result.stderr


def test_default_database_file_is_private(cli: CLI, isolated_env) -> None:
    cli.ok("db", "migrate")
    path = isolated_env / "prima.db"
    assert path.exists()
    assert path.stat().st_mode & 0o777 == 0o600
    engine = sa.create_engine(f"sqlite:///{path}")
    from prima_cli.store.engine import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_environment_variable_and_flag_select_the_database(
    cli: CLI, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_db = tmp_path / "env.db"
    monkeypatch.setenv("PRIMA_DATABASE_URL", f"sqlite:///{env_db}")
    cli.ok("db", "migrate")
    assert env_db.exists()
    flag_db = tmp_path / "flag.db"
    CLI(str(flag_db)).ok("db", "migrate")  # a bare path is a SQLite file
    assert flag_db.exists()


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("nonsense://x", "no database driver"),
        ("postgresql://u:hunter2secret@127.0.0.1:notaport/x", "invalid database URL"),
        ("postgresql://u:hunter2secret@127.0.0.1:5432", "names no database"),
    ],
)
def test_bad_database_urls_are_configuration_errors(url: str, needle: str) -> None:
    result = CLI(url)("venues", "list")
    assert result.exit_code == 78
    assert needle in result.stderr
    assert "hunter2secret" not in result.stderr


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:hunter2secret@127.0.0.1:1/none",
     "postgresql://u@127.0.0.1:1/none?password=hunter2secret"],
)  # fmt: skip
def test_a_server_that_refuses_connections_is_try_again_later(url: str) -> None:
    """Nothing listens on port 1: the URL is fine, the server is not there (yet)."""
    result = CLI(url)("venues", "list", "--json")
    assert result.exit_code == 75
    error = result.error()
    assert error["type"] == "database_unavailable"
    assert "postgresql+psycopg://u" in error["message"] and "Connection refused" in error["message"]
    assert "hunter2secret" not in result.stderr and "***" in error["message"]


def test_head_constant_matches_the_shipped_revisions() -> None:
    from prima_cli.store.migrate import script_head

    assert script_head() == schema.HEAD


def test_only_migrate_creates_a_sqlite_file(tmp_path) -> None:
    missing = tmp_path / "nested" / "dir" / "x.db"
    status = CLI(str(missing)).ok("db", "status", "--json").json()
    assert status["current"] is None and status["pending"] == list(schema.REVISIONS)
    listed = CLI(str(missing))("venues", "list")
    assert listed.exit_code == 78 and "prima db migrate" in listed.stderr
    assert CLI(str(missing))("doctor").exit_code == 78
    assert not missing.exists() and not missing.parent.exists()
    CLI(str(missing)).ok("db", "migrate")
    assert missing.exists()


def test_an_empty_db_option_is_refused() -> None:
    result = CLI()("--db", "", "venues", "list")
    assert result.exit_code == 2 and "--db is empty" in result.stderr
