"""The command tree. Only Typer is imported here: commands import ``core`` when they run."""

from __future__ import annotations

import typer

from prima_cli import __version__
from prima_cli.cli import bookings, completion, db, demo, doctor, platforms, sandbox, venues
from prima_cli.cli.state import current

app = typer.Typer(
    name="prima",
    help="Connect restaurant venues to booking platforms (CoverManager, Restoo, ...).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        current().output.text(f"prima {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    db_url: str | None = typer.Option(
        None,
        "--db",
        metavar="URL",
        help="Database URL or SQLite file path (default: PRIMA_DATABASE_URL, then a SQLite "
        "file in the user data directory).",
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log steps and HTTP exchanges (secrets masked) to stderr."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    from prima_cli.cli.main import configure_logging

    state = current()
    state.db = db_url
    state.verbose = verbose
    configure_logging(state.terminal, verbose)


app.add_typer(venues.app, name="venues")
app.add_typer(platforms.app, name="platforms")
app.add_typer(bookings.app, name="bookings")
app.add_typer(db.app, name="db")
app.add_typer(sandbox.app, name="sandbox")
app.command("demo")(demo.demo)
app.command("doctor")(doctor.doctor)
app.command("completion")(completion.completion)
