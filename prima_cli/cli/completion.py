"""`prima completion SHELL`: print the shell completion script.

Typer's own ``--install-completion`` edits rc files; we print to stdout instead (as gh
does) and ship the generated scripts in ``completions/`` (``scripts/gen_completions.py``).
"""

from __future__ import annotations

from enum import StrEnum

import typer

from prima_cli.cli.application import application

PROG = "prima"
COMPLETE_VAR = "_PRIMA_COMPLETE"


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def script(shell: str) -> str:
    """The completion script of prima for ``shell``."""
    from prima_cli.cli.typer_compat import completion_script

    return completion_script(PROG, COMPLETE_VAR, shell)


def completion(
    ctx: typer.Context, shell: Shell = typer.Argument(..., help="bash, zsh or fish.")
) -> int:
    """Print the completion script for SHELL (`prima completion bash > ~/.prima.bash`)."""
    from prima_cli.cli.views.completion import SCRIPT
    from prima_cli.core.result import OperationResult

    return application(ctx).render(OperationResult.ok(script(shell.value)), SCRIPT)
