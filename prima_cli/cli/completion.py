"""`prima completion SHELL`: print the shell completion script.

Typer's own ``--install-completion`` edits rc files; we print to stdout instead (as gh
does) and ship the generated scripts in ``completions/`` (``scripts/gen_completions.py``).
"""

from __future__ import annotations

from enum import StrEnum

import typer

from prima_cli.cli.state import current

PROG = "prima"
COMPLETE_VAR = "_PRIMA_COMPLETE"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def script(shell: str) -> str:
    from typer._completion_shared import get_completion_script  # vendored, pinned typer

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)


def completion(shell: Shell = typer.Argument(..., help="bash, zsh or fish.")) -> None:
    """Print the completion script for SHELL (`prima completion bash > ~/.prima.bash`)."""
    current().output.text(script(shell.value))
