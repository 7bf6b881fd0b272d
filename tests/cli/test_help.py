"""Help that teaches: every command's --help has an example, usage lines read as man pages
write them, choice help lists every accepted value, the man page is current, and a global
option given after the command says where it goes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from prima_cli.cli import typer_compat
from prima_cli.cli.app import app
from prima_cli.cli.bookings import REASONS
from prima_cli.cli.help_examples import EXAMPLES
from prima_cli.core.booking_status import BookingStatus
from prima_cli.platforms import CancelReason
from tests.conftest import CLI

ROOT = Path(__file__).resolve().parent.parent.parent


def leaf_commands() -> list[str]:
    return [
        " ".join(path)
        for path, command in typer_compat.walk(get_command(app))
        if path and not hasattr(command, "list_commands")
    ]


LEAVES = leaf_commands()


def test_the_tree_is_walked_whole() -> None:
    assert {"bookings create", "sandbox env", "demo", "completion"} <= set(LEAVES)
    assert len(LEAVES) >= 30
    assert set(EXAMPLES) == set(LEAVES)  # no example for a command that does not exist


@pytest.mark.parametrize("path", LEAVES)
def test_every_command_help_has_an_example_and_a_plain_usage_line(
    cli: CLI, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.ok(*path.split(), "--help")  # Click prints help on the process's stdout
    shown = capsys.readouterr().out
    usage = shown.splitlines()[0]
    assert usage.startswith(f"Usage: prima {path}")
    assert "{" not in usage and "[[" not in usage, usage
    assert "Example" in shown
    for example in EXAMPLES[path]:
        assert example in shown  # kept on one line, as written
        assert f"prima {path}" in example or path.split()[0] in example


def test_choice_help_lists_every_accepted_value(
    cli: CLI, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.ok("bookings", "list", "--help")
    shown = " ".join(capsys.readouterr().out.split())
    for status in BookingStatus:
        assert status.value in shown
    for reason in CancelReason:
        assert reason.value in REASONS


def test_the_committed_man_page_is_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_manpage.py"), "--check"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = (ROOT / "man" / "prima.1").read_text()
    for path in LEAVES:
        assert f".SS {path}\n" in page


@pytest.mark.parametrize(
    ("args", "moved"),
    [
        (["bookings", "list", "--db", "x.db"], "prima --db x.db bookings list"),
        (["venues", "list", "-v"], "prima -v venues list"),
    ],
)
def test_a_global_option_after_the_command_says_where_it_goes(
    cli: CLI, args: list[str], moved: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert f"hint: global options go before the command: {moved}" in result.stderr
    as_json = cli(*args, "--json")
    assert as_json.error()["hint"] == f"global options go before the command: {moved} --json"
