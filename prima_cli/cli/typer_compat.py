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


def _usage_name(param: Any) -> str:
    name = (param.metavar or param.name or "").strip("[]{}").upper()
    name = name + ("..." if param.nargs != 1 else "")
    return name if param.required else f"[{name}]"


def plain_usage(command: Any) -> None:
    """Usage lines as man pages write them (``VENUE``, ``[TYPE]``), not as this Typer does
    (``{VENUE}``, ``[[TYPE]]`` for a metavar that already says it is optional)."""

    def pieces(ctx: Any) -> list[str]:
        found = [command.options_metavar] if command.options_metavar else []
        for param in command.get_params(ctx):
            if param.param_type_name == "argument":
                found.append(_usage_name(param))
        return found

    command.collect_usage_pieces = pieces
    for sub in getattr(command, "commands", {}).values():
        plain_usage(sub)


def walk(command: Any, path: tuple[str, ...] = ()) -> Any:
    """Every command under ``command`` (groups too) as (path, command), depth first; a lazy
    group's commands are loaded."""
    import typer

    yield path, command
    if hasattr(command, "list_commands"):
        ctx = typer.Context(command, info_name=path[-1] if path else "prima")
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                yield from walk(sub, (*path, name))
