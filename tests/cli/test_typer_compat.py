"""What prima needs of the installed Typer, in the one module that knows its internals."""

from __future__ import annotations

import pytest

from prima_cli.cli import typer_compat
from tests.conftest import CLI


def test_usage_errors_carry_what_main_prints() -> None:
    import typer

    base = typer_compat.usage_error_base()
    assert issubclass(typer.BadParameter, base)
    err = typer.BadParameter("nope")
    assert err.exit_code == 2 and "nope" in err.format_message()


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_name_prima(shell: str) -> None:
    script = typer_compat.completion_script("prima", "_PRIMA_COMPLETE", shell)
    assert "_PRIMA_COMPLETE" in script


def test_a_usage_error_is_exit_2_with_the_usage_line(cli: CLI) -> None:
    result = cli("venues", "add")
    assert result.exit_code == 2
    assert "Usage: prima venues add" in result.stderr and "Missing argument" in result.stderr
    as_json = cli("venues", "add", "--json")
    assert as_json.exit_code == 2 and as_json.error()["type"] == "invalid_input"
