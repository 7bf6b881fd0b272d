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
