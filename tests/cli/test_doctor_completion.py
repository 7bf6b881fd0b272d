"""`prima doctor` and `prima completion`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLI

ROOT = Path(__file__).resolve().parents[2]


def test_doctor_unmigrated_is_unhealthy(cli: CLI) -> None:
    result = cli("doctor", "--json")
    assert result.exit_code == 78
    report = result.json()
    assert report["healthy"] is False
    assert report["schema"]["current"] is None
    assert report["database"]["source"] == "default"
    assert {"covermanager", "restoo"} <= set(report["platform_types"])


def test_doctor_healthy_then_reports_unresolved_secret(
    migrated: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = migrated.ok("doctor", "--json").json()
    assert report["healthy"] is True
    assert report["schema"]["current"] == report["schema"]["head"]
    migrated.ok("venues", "add", "Uno")
    migrated.ok(
        "platforms",
        "add",
        "uno",
        "covermanager",
        "--set",
        "restaurant_id=u",
        "--set",
        "api_key=env:PRIMA_TEST_UNSET_KEY",
        "--no-test",
    )
    monkeypatch.delenv("PRIMA_TEST_UNSET_KEY", raising=False)
    result = migrated("doctor", "--json")
    assert result.exit_code == 78
    unresolved = result.json()["unresolved_secrets"]
    assert unresolved == [
        {
            "venue": "uno",
            "platform_type": "covermanager",
            "keys": ["api_key"],
            "references": ["env:PRIMA_TEST_UNSET_KEY"],
            "problems": [
                "api_key refers to the environment variable PRIMA_TEST_UNSET_KEY, which is not set"
            ],
        }
    ]
    monkeypatch.setenv("PRIMA_TEST_UNSET_KEY", "a-value-that-is-set")
    assert migrated("doctor").exit_code == 0


def test_doctor_masks_the_database_password() -> None:
    result = CLI("postgresql://prima:s3cr3tpass@127.0.0.1:1/x")("doctor", "--json")
    assert result.exit_code == 75  # nothing listens on port 1: try again later
    assert "s3cr3tpass" not in result.stdout + result.stderr
    assert result.json()["database"]["url"] == "postgresql+psycopg://prima:***@127.0.0.1:1/x"


@pytest.mark.parametrize(
    "password",
    [
        's3cr"et\\pw',  # a quote: the URL pattern stops at one, and showed it whole
        "s3cr'et pw",
        "s3cr%22et%5Cpw",  # the same, encoded as the URL should be: masked as before
    ],
)
@pytest.mark.parametrize("command", [["doctor", "--json"], ["-v", "db", "status", "--json"]])
def test_a_database_password_holding_a_quote_is_masked(password: str, command: list[str]) -> None:
    from urllib.parse import quote_plus, unquote

    for url, masked in (
        (f"postgresql://prima:{password}@127.0.0.1:1/x", "prima:***@127.0.0.1:1/x"),
        (f"postgresql://prima@127.0.0.1:1/x?password={quote_plus(unquote(password))}",
         "x?password=***"),
        (f"postgresql://prima@127.0.0.1:1/x?password={password}", "x?password=***"),
    ):  # fmt: skip
        result = CLI(url)(*command)
        assert result.exit_code == 75  # nothing listens on port 1: try again later
        shown = result.stdout + result.stderr
        for form in {password, unquote(password)}:
            assert form[:6] not in shown and form[-6:] not in shown, shown
        assert masked in shown


@pytest.mark.parametrize("password", ["prima", "postgres"])
def test_a_database_password_that_is_a_common_word_masks_only_the_url(password: str) -> None:
    """Masked inside the URL only: a password masked wherever its text appears turned the
    document's "prima_version" into "***_version" and "postgresql+psycopg" into
    "***ql+psycopg"."""
    result = CLI(f"postgresql://{password}:{password}@127.0.0.1:1/x")("doctor", "--json")
    assert result.exit_code == 75
    report = result.json()
    assert "prima_version" in report and report["data_dir"].endswith(("prima", "data"))
    assert report["database"]["url"] == f"postgresql+psycopg://{password}:***@127.0.0.1:1/x"


@pytest.mark.parametrize("backend", ["postgres", "mysql"])
def test_doctor_compares_this_hosts_clock_with_the_database_servers(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a database server the clock check runs against the server's real clock; a server
    a minute ahead (its clock reading replaced) fails it with what to do (exit 78)."""
    from prima_cli.core import credential_ledger

    url = request.getfixturevalue(f"{backend}_url")
    cli = CLI(url)
    cli.ok("db", "migrate")
    [clock] = [c for c in cli.ok("doctor", "--json").json()["checks"] if c["name"] == "clock"]
    assert clock["ok"] is True and "the database server's clock" in clock["detail"]
    real = credential_ledger.clock_now
    monkeypatch.setattr(credential_ledger, "clock_now", lambda conn: real(conn) + 60)
    skewed = cli("doctor", "--json")
    assert skewed.exit_code == 78
    [clock] = [c for c in skewed.json()["checks"] if c["name"] == "clock"]
    assert clock["ok"] is False
    assert "this host is 60." in clock["detail"] and "behind" in clock["detail"]
    assert "NTP" in clock["detail"]


def test_doctor_has_no_clock_check_on_sqlite(migrated: CLI) -> None:
    """SQLite's clock is this host's: nothing to compare."""
    names = [c["name"] for c in migrated.ok("doctor", "--json").json()["checks"]]
    assert "clock" not in names and "database" in names


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_shipped_script(cli: CLI, shell: str) -> None:
    out = cli.ok("completion", shell).stdout
    assert "_PRIMA_COMPLETE" in out
    name = {"bash": "prima.bash", "zsh": "_prima", "fish": "prima.fish"}[shell]
    assert out == (ROOT / "completions" / name).read_text()


def test_completion_rejects_unknown_shells(cli: CLI) -> None:
    assert cli("completion", "tcsh").exit_code == 2


def test_shipped_completions_are_current() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_completions.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
