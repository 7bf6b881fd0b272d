"""The one place that knows how Typer exposes Click's internals (Typer vendors Click since
0.26, under a private module). Everything else imports from here, and a test pins what this
module needs of the installed Typer."""

from __future__ import annotations

from typing import Any

import typer


def usage_error_base() -> type[Exception]:
    """The base class of Click's usage errors (bad option, missing argument...): they carry
    ``exit_code``, ``format_message()`` and ``show(file=...)``."""
    return typer.TyperException


def completion_script(prog: str, complete_var: str, shell: str) -> str:
    """The completion script of ``shell`` for the program ``prog``."""
    from typer.completion import get_completion_script

    return get_completion_script(prog_name=prog, complete_var=complete_var, shell=shell)


def init_completion() -> None:
    """Register Typer's shell-completion classes (before a completion request is answered)."""
    from typer.completion import completion_init

    completion_init()


def show_usage_error(exc: Any, file: Any) -> None:
    """Print a Click usage error as Click does (usage line, then the message), with the
    control characters of what was typed escaped."""
    import io

    from prima_cli.cli.terminal_text import printable

    buffer = io.StringIO()
    exc.show(file=buffer)
    file.write(printable(buffer.getvalue(), lines=True))
