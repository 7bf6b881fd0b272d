"""Dynamic shell completion through the real executable, as bash, zsh and fish ask for it:
venue slugs and booking references from the store (the command line's --db included),
platform types, statuses and cancel reasons; static parts load no SQLAlchemy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from prima_cli.sandbox import Sandbox
from tests.conftest import CLI, prima_executable
from tests.integration.conftest import cm_settings


def complete(shell: str, words: str, env: dict[str, str] | None = None) -> list[str]:
    """What prima offers for the last word of ``words`` (a trailing space: a new word)."""
    full = {**os.environ, **(env or {}), "_PRIMA_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        parts = words.split()
        word = len(parts) - (0 if words.endswith(" ") else 1)
        full |= {"COMP_WORDS": words, "COMP_CWORD": str(word)}
    else:
        full["_TYPER_COMPLETE_ARGS"] = words
        if shell == "fish":
            full["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    done = subprocess.run(prima_executable(), env=full, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout
    if shell == "zsh":  # _arguments '*: :(("a" "b"))'
        inner = out[out.find("((") + 2 : out.rfind("))")]
        return [item.split(":")[0] for item in re.findall(r'"((?:[^"\\]|\\.)*)"', inner)]
    return [line.split("\t")[0].split(",")[-1] for line in out.splitlines() if line]


@pytest.fixture
def store(migrated: CLI, sandbox: Sandbox) -> str:
    migrated.ok("venues", "add", "Casa Pepe", "--timezone", "Europe/Madrid", "--country", "ES")
    migrated.ok("venues", "add", "Casa Lola")
    migrated.ok("platforms", "add", "casa-pepe", "covermanager", *cm_settings(sandbox))
    made = migrated.ok("bookings", "create", "casa-pepe", "--date", "tomorrow", "--time",
                       "20:00", "--party", "2", "--name", "Lucía Fernández", "--email",
                       "lucia@example.org", "--phone", "612 48 39 07",
                       "--reference", "order-1234", "--json")  # fmt: skip
    return str(made.json()["reference"])


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_store_values_complete_in_every_shell(store: str, shell: str) -> None:
    assert complete(shell, "prima venues show casa-") == ["casa-lola", "casa-pepe"]
    assert complete(shell, "prima bookings show PRM") == [store]
    assert complete(shell, "prima bookings cancel ord") == ["order-1234"]
    assert complete(shell, "prima bookings list --venue casa-p") == ["casa-pepe"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_choice_values_and_types_complete_in_every_shell(isolated_env: Path, shell: str) -> None:
    assert complete(shell, "prima bookings cancel x --reason ") == [
        "OTHER", "CHANGED_PLANS", "BOOKED_ANOTHER_PLACE"
    ]  # fmt: skip
    assert complete(shell, "prima bookings list --status c") == ["confirmed", "cancelled"]
    assert complete(shell, "prima platforms add v ") == ["covermanager", "restoo"]
    assert complete(shell, "prima sandbox env --shell f") == ["fish"]


def test_the_command_lines_db_is_the_store_completed(store: str, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    CLI(str(other)).ok("db", "migrate")
    CLI(str(other)).ok("venues", "add", "Elsewhere")
    assert complete("bash", f"prima --db {other} venues show ") == ["elsewhere"]
    assert complete("bash", "prima venues show ") == ["casa-lola", "casa-pepe"]


def test_no_store_completes_to_nothing_quietly(isolated_env: Path) -> None:
    assert complete("bash", "prima venues show ") == []  # no database file yet: none made
    assert not (isolated_env / "prima.db").exists()


def test_static_completion_loads_no_sqlalchemy(isolated_env: Path) -> None:
    env = {**os.environ, "_PRIMA_COMPLETE": "complete_bash",
           "COMP_WORDS": "prima bookings list --status ", "COMP_CWORD": "4"}  # fmt: skip
    traced = subprocess.run([sys.executable, "-X", "importtime", "-m", "prima_cli"],
                            env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "confirmed" in traced.stdout
    assert "import time:" in traced.stderr  # the trace is there...
    assert "sqlalchemy" not in traced.stderr  # ...and the store's library is not in it
