"""The command tree. Only Typer is imported here; each command group's module is imported
when that group runs (``--help`` lists them from the table below without importing them)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup

from prima_cli import VERSION_LINE
from prima_cli.cli.application import application


@dataclass(frozen=True)
class Entry:
    module: str
    attribute: str  # a Typer app (a group) or a command function
    help: str  # the short help `prima --help` shows (a test checks it matches the module)


COMMANDS: dict[str, Entry] = {
    "venues": Entry("prima_cli.cli.venues", "app", "Add, list, show, edit and remove venues."),
    "platforms": Entry(
        "prima_cli.cli.platforms",
        "app",
        "Connect venues to booking platforms and manage those connections.",
    ),
    "bookings": Entry(
        "prima_cli.cli.bookings", "app", "Check availability, book, cancel and reconcile."
    ),
    "db": Entry(
        "prima_cli.cli.db", "app", "Create and upgrade the database schema; prune old history."
    ),
    "sandbox": Entry("prima_cli.cli.sandbox", "app", "A local simulator of the booking platforms."),
    "demo": Entry(
        "prima_cli.cli.demo",
        "demo",
        "Run the whole flow against the built-in simulator on a throwaway store (no network).",
    ),
    "worker": Entry(
        "prima_cli.cli.worker",
        "app",
        "Run and inspect background jobs (sync, outbox) on a PostgreSQL store.",
    ),
    "doctor": Entry(
        "prima_cli.cli.doctor",
        "doctor",
        "Check versions, data directory, database, schema, platform types and secrets.",
    ),
    "help": Entry(
        "prima_cli.cli.help",
        "help_",
        "Help topics: exit codes, JSON contract and schemas, environment, secrets.",
    ),
    "completion": Entry(
        "prima_cli.cli.completion",
        "completion",
        "Print the completion script for SHELL (`prima completion bash > ~/.prima.bash`).",
    ),
}


def load(name: str) -> Any:
    """The click command of one entry, importing its module now."""
    from typer.main import get_command, get_group

    entry = COMMANDS[name]
    target = getattr(importlib.import_module(entry.module), entry.attribute)
    if isinstance(target, typer.Typer):
        command: Any = get_group(target)  # a group even with one command (`sandbox serve`)
    else:
        single = typer.Typer(rich_markup_mode=None, add_completion=False)
        single.command(name)(target)
        command = get_command(single)
    command.name = name
    from prima_cli.cli import help_examples

    help_examples.apply(command, name)
    return command


class LazyGroup(TyperGroup):
    """The root group: subcommands are imported only when used."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load(cmd_name)
        return self.commands[cmd_name]

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            from prima_cli.cli.terminal import Interrupted

            raise Interrupted from None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, entry.help) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="prima",
    cls=LazyGroup,
    help="Connect restaurant venues to booking platforms (CoverManager, Restoo, ...).",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(ctx: typer.Context, value: bool) -> None:
    if value:
        application(ctx).output.text(VERSION_LINE)
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
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
    log_format: str | None = typer.Option(
        None,
        "--log-format",
        metavar="FORMAT",
        help="Logs and messages on stderr as text, json or logfmt (default: PRIMA_LOG_FORMAT, "
        "then text).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    from prima_cli.cli.logs import LogFormat, configure_logging, parse_format, stderr_is_journal

    state = application(ctx)
    state.db = db_url
    state.verbose = verbose
    chosen = parse_format(log_format)
    state.output.structured = chosen != LogFormat.TEXT
    state.output.journal = stderr_is_journal(state.terminal)
    configure_logging(state.terminal, verbose, chosen)
