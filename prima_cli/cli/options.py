"""Options and arguments shared by several commands (one definition, one help text)."""

from __future__ import annotations

import typer

from prima_cli.cli import completers

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout.")
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
