"""The one render call: a result and its view become JSON or people's output, and the exit
code of the result's outcome; warnings and the error go to stderr."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from prima_cli.cli.output import Column, Output
from prima_cli.cli.render import View, render
from prima_cli.cli.terminal import Terminal
from prima_cli.cli.terminal_text import json_safe
from prima_cli.core.result import OperationResult
from prima_cli.errors import ExitCode, PlatformUnavailable


def _output(*, json_mode: bool = False) -> tuple[Output, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    terminal = Terminal(stdin=io.StringIO(), stdout=out, stderr=err, stdin_tty=False,
                        stdout_tty=False, stderr_tty=False, no_color=True)  # fmt: skip
    return Output(terminal, json_mode=json_mode, quiet=json_mode), out, err


REPORT = {"day": "2030-01-01", "answers": [("covermanager", "20:00"), ("restoo", "21:00")]}


def _table(r: dict[str, Any]) -> tuple[list[Column], list[dict[str, Any]]]:
    columns = [Column("platform", "Platform"), Column("answer", f"on {r['day']}")]
    return columns, [{"platform": p, "answer": t} for p, t in r["answers"]]


TABLE: View[dict[str, Any]] = View(json=lambda r: {"day": r["day"]}, table=_table)


def test_a_table_drawn_from_the_whole_value() -> None:
    out, stdout, _ = _output()
    assert render(out, OperationResult.ok(REPORT), TABLE) == 0
    assert stdout.getvalue() == "covermanager\t20:00\nrestoo\t21:00\n"
    out, stdout, _ = _output(json_mode=True)
    render(out, OperationResult.ok(REPORT), TABLE)
    assert json.loads(stdout.getvalue()) == {"day": "2030-01-01"}


def test_text_lines_go_to_stdout_as_they_are() -> None:
    view: View[str] = View(json=lambda s: s, text=lambda s: s.split("|"))
    out, stdout, stderr = _output()
    assert render(out, OperationResult.ok("one|two"), view) == 0
    assert stdout.getvalue() == "one\ntwo\n" and stderr.getvalue() == ""


def test_the_outcome_is_the_exit_code_and_the_error_follows_the_value() -> None:
    failure = PlatformUnavailable("restoo is down", platform="restoo")
    result = OperationResult(REPORT, ["one was slow"], outcome=ExitCode.UNAVAILABLE,
                             error=failure)  # fmt: skip
    out, stdout, stderr = _output()
    assert render(out, result, TABLE) == int(ExitCode.UNAVAILABLE)
    assert stdout.getvalue().count("\n") == 2
    assert stderr.getvalue().splitlines() == ["warning: one was slow", "error: restoo is down"]


@pytest.mark.parametrize(
    ("document", "safe"),
    [
        ('{"notes": "plain"}', '{"notes": "plain"}'),
        ('{"notes": "a\x7fb"}', '{"notes": "a\\u007fb"}'),  # DEL in an ASCII text
        ('{"notes": "caf\u00e9 \x9b2J"}', '{"notes": "caf\u00e9 \\u009b2J"}'),  # 8-bit CSI
        ('{"notes": "caf\u00e9 \u00a0ok"}', '{"notes": "caf\u00e9 \u00a0ok"}'),  # not C1: kept
    ],
)
def test_json_safe_escapes_del_and_c1_controls_only(document: str, safe: str) -> None:
    assert json_safe(document) == safe


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-1e5", "'-1e5"),  # a letter: text, never exempt
        # plain numbers and phone numbers keep their value
        ("-5", "-5"),
        ("-12.50", "-12.50"),
        ("+34 600 123 456", "+34 600 123 456"),
        ("+34600123456", "+34600123456"),
        ("+1 (555) 010-9999", "+1 (555) 010-9999"),
        ("2026-12-07", "2026-12-07"),
        ("Lucía", "Lucía"),
        ("", ""),
    ],
)
def test_a_cell_that_would_start_a_formula_starts_with_a_quote(cell: str, written: str) -> None:
    from prima_cli.cli.formats import spreadsheet_safe

    assert spreadsheet_safe(cell) == written


def test_numbers_and_nested_values_are_not_quoted_in_csv() -> None:
    from prima_cli.cli.formats import Format, delimited

    row = {"n": -5, "f": -1e-05, "b": True, "none": None, "guest": {"first_name": "=x"},
           "text": "=x"}  # fmt: skip
    header, line = delimited([row], Format.CSV, ())
    assert header == "n,f,b,none,guest,text"
    assert line == '-5,-1e-05,true,,"{""first_name"":""=x""}",\'=x'
