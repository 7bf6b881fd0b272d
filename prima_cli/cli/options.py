"""Options and arguments shared by several commands (one definition, one help text)."""

from __future__ import annotations

import typer

JSON = typer.Option(False, "--json", help="Print one JSON document on stdout (--format json).")
FORMAT = typer.Option(
    None,
    "--format",
    metavar="FORMAT",
    help="table (default), json, jsonl, csv or tsv (csv/tsv with a header row).",
    autocompletion=lambda incomplete: [
        f for f in ("table", "json", "jsonl", "csv", "tsv") if f.startswith(incomplete)
    ],
)
FIELDS = typer.Option(
    None,
    "--fields",
    metavar="A,B",
    help="Only these keys of each item, in this order (`prima help json COMMAND` lists them).",
)
JQ = typer.Option(None, "--jq", metavar="EXPR", help="Filter the JSON with a jq expression.")
OFFSET = typer.Option(0, "--offset", metavar="N", help="Skip the first N rows (the next page).")
YES = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")
VENUE = typer.Argument(..., metavar="VENUE", help="Venue id or slug.")


def group(help: str) -> typer.Typer:
    """A command group, configured like every other one (plain help, no completion flags)."""
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None, add_completion=False)
