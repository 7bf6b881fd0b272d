"""Exit codes a script can act on: one meaning per code, from one source (ExitCode), in the
README and `prima help exit-codes` alike; every JSON error says its exit code and whether it is
retryable; errors for scripts are one JSON line on a non-terminal stderr."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from prima_cli import errors
from prima_cli.cli.help_topics import ENVIRONMENT, TOPICS, environment_markdown
from prima_cli.cli.help_topics import exit_codes_markdown as exit_codes_table
from prima_cli.errors import ExitCode, PrimaError
from tests.conftest import CLI, run_prima

README = Path(__file__).parents[2] / "README.md"


def _between(text: str, name: str) -> str:
    found = re.search(rf"<!-- {name}:start -->\n(.*?)\n<!-- {name}:end -->", text, re.S)
    assert found, f"README has no <!-- {name}:start/end --> markers"
    return found.group(1)


def _rewrite(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    head, _, rest = text.partition(start)
    return head + start + body + end + rest.partition(end)[2]


def test_readme_exit_codes_and_environment_are_the_generated_tables() -> None:
    """Regenerate with PRIMA_WRITE_README=1 after changing ExitCode or ENVIRONMENT."""
    text = README.read_text()
    if os.environ.get("PRIMA_WRITE_README"):
        text = _rewrite(text, "exit-codes", exit_codes_table())
        text = _rewrite(text, "environment", environment_markdown())
        README.write_text(text)
    assert _between(text, "exit-codes") == exit_codes_table(), (
        "README 'Exit codes' differs from ExitCode's meanings: rerun this test with "
        "PRIMA_WRITE_README=1"
    )
    assert _between(text, "environment") == environment_markdown()


def test_every_code_has_one_meaning_and_the_assigned_numbers() -> None:
    assert all(code.meaning for code in ExitCode), [c.name for c in ExitCode if not c.meaning]
    assert len({c.meaning for c in ExitCode}) == len(ExitCode)
    assert ExitCode.OUTCOME_UNKNOWN == 8 and ExitCode.UNAVAILABLE == 69
    assert "never create it again" in ExitCode.OUTCOME_UNKNOWN.meaning
    assert "safe to retry" in ExitCode.UNAVAILABLE.meaning


def _all_error_classes() -> list[type[PrimaError]]:
    found, pending = [], [PrimaError]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending.extend(kind.__subclasses__())
    return found


@pytest.mark.parametrize("kind", _all_error_classes(), ids=lambda k: k.__name__)
def test_retryable_follows_the_code(kind: type[PrimaError]) -> None:
    """69 and 75 may be run again as they are; 8 (outcome unknown) never; the rest not."""
    if kind.exit_code in (ExitCode.UNAVAILABLE, ExitCode.TEMPFAIL):
        assert kind.retryable, kind
    else:
        assert not kind.retryable, kind


def test_an_ambiguous_write_is_outcome_unknown_not_unavailable() -> None:
    assert errors.PlatformAmbiguousOutcome.exit_code == ExitCode.OUTCOME_UNKNOWN
    assert errors.BookingOutcomeUnknown.exit_code == ExitCode.OUTCOME_UNKNOWN
    unknown = errors.BookingOutcomeUnknown("lost", booking="PRM-1").to_dict()
    assert (unknown["exit_code"], unknown["retryable"]) == (8, False)
    cause = errors.PlatformUnavailable("down", platform="restoo")
    not_placed = errors.BookingNotPlaced("not placed", cause=cause, booking="PRM-2")
    assert (not_placed.exit_code, not_placed.retryable) == (69, True)


def test_a_stored_error_reads_back_without_its_derived_keys() -> None:
    stored = errors.PlatformRejected("full", platform="restoo").to_dict()
    again = errors.from_dict(stored)
    assert "exit_code" not in again.details and "retryable" not in again.details
    assert again.to_dict() == stored


def test_help_exit_codes_through_the_executable() -> None:
    done = run_prima(["help", "exit-codes"])
    assert done.returncode == 0, done.stderr
    for code in ExitCode:
        assert re.search(rf"^\s*{int(code)} {code.name}\s", done.stdout, re.M), code
    assert "already in that state" in done.stdout.lower()
    topics = run_prima(["help"])
    assert topics.returncode == 0 and all(name in topics.stdout for name in TOPICS)
    env = run_prima(["help", "environment"])
    assert all(name in env.stdout for name in ENVIRONMENT)
    assert "env:NAME" in run_prima(["help", "secrets"]).stdout
    unknown = run_prima(["help", "nope"])
    assert unknown.returncode == 3 and "exit-codes" in unknown.stderr  # named, not there


def test_json_errors_are_one_line_with_exit_code_and_retryable(tmp_path: Path) -> None:
    db = str(tmp_path / "p.db")
    assert run_prima(["--db", db, "db", "migrate"]).returncode == 0
    done = run_prima(["--db", db, "venues", "show", "nope", "--json"])
    assert done.returncode == 3 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    error = json.loads(lines[0])["error"]
    assert (error["type"], error["exit_code"], error["retryable"]) == ("not_found", 3, False)
    # a usage error found before the command runs is JSON too
    usage = run_prima(["--db", db, "bookings", "list", "--format", "json", "--limit", "x"])
    assert usage.returncode == 2
    assert json.loads(usage.stderr.splitlines()[-1])["error"]["exit_code"] == 2
    # without --json, the message and its hint for people
    plain = run_prima(["--db", db, "venues", "show", "nope"])
    assert plain.stderr.startswith("error: no venue") and "hint:" in plain.stderr


def test_json_errors_on_a_terminal_are_the_message(migrated: CLI) -> None:
    shown = migrated("venues", "show", "nope", "--json", tty=True, no_color=True)
    assert shown.exit_code == 3
    assert shown.stderr.startswith("error: no venue") and "{" not in shown.stderr
