"""Options and arguments shared by several commands (one definition, one help text)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import typer

from prima_cli.cli import completers

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout (--format json).")
FORMAT = typer.Option(
    None,
    "--format",
    metavar="FORMAT",
    help=(
        "table (default), json, jsonl, csv or tsv (csv/tsv with a header row; a text cell that "
        "would start a spreadsheet formula gets a leading ')."
    ),
    autocompletion=completers.formats,
)
FIELDS = typer.Option(
    None,
    "--fields",
    metavar="A,B",
    help="Only these keys of each item, in this order (`prima help json COMMAND` lists them).",
)
JQ = typer.Option(None, "--jq", metavar="EXPR", help="Filter the JSON with a jq expression.")
#: the largest row offset every store takes (a 64-bit integer)
_LAST_OFFSET = 2**63 - 1


def _offset(value: int) -> int:
    if value > _LAST_OFFSET:
        raise typer.BadParameter(f"at most {_LAST_OFFSET}, not {value}")
    return value


OFFSET = typer.Option(
    0, "--offset", metavar="N", callback=_offset, help="Skip the first N rows (the next page)."
)
YES = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
VENUE = typer.Argument(
    ..., metavar="VENUE", help="Venue id or slug.", autocompletion=completers.venues
)
#: an option naming one venue (filters)
VENUE_FILTER = typer.Option(
    None, "--venue", metavar="VENUE", help="Only this venue.", autocompletion=completers.venues
)


def group(help: str) -> typer.Typer:
    """A command group, configured like every other one (plain help, no completion flags)."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None, add_completion=False)


#: the output options every listing takes, with their types and Typer declarations
_LISTING: tuple[tuple[str, Any, Any], ...] = (
    ("json", bool, JSON),
    ("fmt", str | None, FORMAT),
    ("fields", str | None, FIELDS),
    ("jq", str | None, JQ),
)


def listing(command: Callable[..., int]) -> Callable[..., int]:
    """Give a listing command --json, --format, --fields and --jq, declared once.

    The options are read (and checked: a contradiction is exit 2 before any work) into the
    invocation's output shape, which ``Application.render`` then prints with; the command
    itself neither declares nor passes them.
    """
    from prima_cli.cli.application import application
    from prima_cli.cli.formats import Shape

    signature = inspect.signature(command, eval_str=True)
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, kind, default in _LISTING
    ]

    @functools.wraps(command)
    def with_output_options(*args: Any, **kwargs: Any) -> int:
        chosen = {name: kwargs.pop(name) for name, _, _ in _LISTING}
        application(kwargs["ctx"]).shape = Shape.parse(**chosen)
        return command(*args, **kwargs)

    parameters = [*signature.parameters.values(), *extra]
    with_output_options.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_output_options.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_output_options
