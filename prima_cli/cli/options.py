"""Options and arguments shared by several commands (one definition, one help text)."""

from __future__ import annotations

import typer

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout.")
YES = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
VENUE = typer.Argument(..., metavar="VENUE", help="Venue id or slug.")
