"""The man page prima(1), generated from the command tree: the same usage lines, help texts,
options and examples as ``--help`` (``scripts/gen_manpage.py`` writes ``man/prima.1``; a test
checks the committed file is current, and the wheel installs it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prima_cli import __version__
from prima_cli.cli.help_examples import EXAMPLES

_SEE_ALSO = "Project README (Quick tour, Bookings, Sync, Exit codes, Environment variables)."


def _roff(text: str) -> str:
    """Text safe in a roff line: backslashes escaped, no line starting a request."""
    lines = []
    for line in text.replace("\\", "\\e").replace("\b", "").splitlines():
        stripped = line.strip()
        lines.append("\\&" + stripped if stripped.startswith((".", "'")) else stripped)
    return "\n".join(line for line in lines if line)


def _help_text(command: Any) -> str:
    return (command.help or "").strip()


def _options(command: Any, ctx: Any) -> Iterator[str]:
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None or param.param_type_name != "option":
            continue
        names, help_ = record
        yield ".TP"
        yield f"\\fB{_roff(names)}\\fR"
        yield _roff(help_) or "\\&"


def _arguments(command: Any) -> Iterator[str]:
    for param in command.params:
        if param.param_type_name != "argument":
            continue
        help_ = getattr(param, "help", None)
        if help_:
            yield ".TP"
            yield f"\\fI{(param.metavar or param.name).strip('[]').upper()}\\fR"
            yield _roff(help_)


def _usage(command: Any, ctx: Any, path: str) -> str:
    pieces = " ".join(command.collect_usage_pieces(ctx))
    return f"prima {path} {pieces}".strip()


def render(root: Any) -> str:
    """prima(1) in roff, from the root Click group ``root``."""
    import typer

    from prima_cli.cli import typer_compat

    out = [
        f'.TH PRIMA 1 "" "prima {__version__}" "User Commands"',
        ".SH NAME",
        "prima \\- connect restaurant venues to booking platforms",
        ".SH SYNOPSIS",
        r"\fBprima\fR [\fB\-\-db\fR \fIURL\fR] [\fB\-v\fR] \fICOMMAND\fR [\fIARGS\fR]...",
        ".SH DESCRIPTION",
        _roff(_help_text(root)),
        ".SH GLOBAL OPTIONS",
        "Global options go before the command.",
    ]
    root_ctx = typer.Context(root, info_name="prima", **root.context_settings)
    out += list(_options(root, root_ctx))
    out.append(".SH COMMANDS")
    for path, command in typer_compat.walk(root):
        if not path or hasattr(command, "list_commands"):
            continue
        name = " ".join(path)
        ctx = typer.Context(command, info_name=path[-1], parent=root_ctx)
        out += [".SS " + _roff(name), f"\\fB{_roff(_usage(command, ctx, name))}\\fR", ".PP"]
        out.append(_roff(_help_text(command)))
        arguments = list(_arguments(command))
        if arguments:
            out += [".PP", "Arguments:", ".RS", *arguments, ".RE"]
        out += [".PP", "Options:", ".RS", *_options(command, ctx), ".RE"]
        examples = EXAMPLES.get(name, ())
        if examples:
            out += [".PP", "Example:" if len(examples) == 1 else "Examples:", ".RS", ".nf"]
            out += [_roff(line) for line in examples]
            out += [".fi", ".RE"]
    out += list(_reference_sections())
    out += [".SH SEE ALSO", _roff(_SEE_ALSO)]
    return "\n".join(out) + "\n"


def _reference_sections() -> Iterator[str]:
    """EXIT STATUS and ENVIRONMENT, from the sources of `prima help exit-codes` and
    `prima help environment` (ExitCode's meanings, help_topics.ENVIRONMENT)."""
    from prima_cli.cli.help_topics import ENVIRONMENT, ERRORS_FOR_SCRIPTS
    from prima_cli.errors import ALREADY_IN_STATE, ExitCode

    yield ".SH EXIT STATUS"
    for code in ExitCode:
        yield from (".TP", f"\\fB{int(code)}\\fR ({code.name})", _roff(code.meaning))
    yield from (".PP", _roff(ALREADY_IN_STATE), ".PP", _roff(ERRORS_FOR_SCRIPTS))
    yield ".SH ENVIRONMENT"
    for name, effect in ENVIRONMENT.items():
        yield from (".TP", f"\\fB{_roff(name)}\\fR", _roff(effect))


def page() -> str:
    """prima(1) of the installed command tree."""
    from typer.main import get_command

    from prima_cli.cli.app import app

    return render(get_command(app))
