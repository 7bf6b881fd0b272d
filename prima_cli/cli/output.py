"""The one place that prints: tables, key/value views, JSON, messages and errors.

Data goes to stdout; messages, warnings, progress and errors go to stderr. On a
terminal data is a Rich table; otherwise tab-separated text printed without Rich (no
colour, no wrapping, no header). Every string passes through ``redact.scrub``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import orjson

from prima_cli import redact
from prima_cli.cli.terminal import Terminal
from prima_cli.cli.terminal_text import json_safe, printable
from prima_cli.errors import PrimaError


def _json_default(value: Any) -> Any:
    # what orjson does not encode itself (datetimes, dates, times, enums and tuples it does)
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_JSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def to_json(data: Any, *, pretty: bool = True) -> str:
    """Indented for people, compact for pipes; naive datetimes are UTC (the store's rule)."""
    options = (_JSON_OPTIONS | orjson.OPT_INDENT_2) if pretty else _JSON_OPTIONS
    text = orjson.dumps(data, default=_json_default, option=options).decode()
    return json_safe(redact.scrub(text))


def cell(value: Any) -> str:
    """Human text of one value (tables and TSV)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items())
    return str(value)


def _plain(text: str) -> str:
    # TSV must stay one record per line and one field per tab; no control reaches the terminal
    return printable(text.replace("\t", " ").replace("\r", " ").replace("\n", " "))


def _shown(value: Any) -> str:
    """A table cell or record value as Rich prints it: secrets masked, controls escaped,
    Rich markup inert."""
    from rich.markup import escape

    return escape(printable(redact.scrub(cell(value))))


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    justify: str = "left"
    #: an identifier (reference, slug, type, id): never cut or wrapped, whatever the width
    identifier: bool = False
    #: left out first when the terminal is too narrow for every column
    optional: bool = False


class Output:
    """Renders results for one invocation; created once per command run."""

    def __init__(self, terminal: Terminal, *, json_mode: bool = False, quiet: bool = False):
        self.terminal = terminal
        self.json_mode = json_mode
        self.quiet = quiet

    # -- consoles (Rich imported lazily) ------------------------------------------
    def _console(self, *, stderr: bool) -> Any:
        from rich.console import Console

        stream = self.terminal.stderr if stderr else self.terminal.stdout
        tty = self.terminal.stderr_tty if stderr else self.terminal.stdout_tty
        plain = self.terminal.no_color or not tty
        return Console(
            file=stream,
            force_terminal=tty,
            color_system=None if plain else "auto",  # NO_COLOR: no escape codes at all
            no_color=plain,
            highlight=False,
            soft_wrap=not tty,
        )

    # -- data on stdout ----------------------------------------------------------
    def json(self, data: Any) -> None:
        self.terminal.stdout.write(to_json(data, pretty=self.terminal.stdout_tty) + "\n")
        self.terminal.stdout.flush()

    def json_stream(self, items: Iterable[Any]) -> None:
        """A JSON array written item by item: memory stays flat however many rows come."""
        pretty = self.terminal.stdout_tty
        write = self.terminal.stdout.write
        write("[")
        for index, item in enumerate(items):
            text = to_json(item, pretty=pretty)
            if pretty:
                text = "\n  " + text.replace("\n", "\n  ")
            write(("," if index else "") + text)
        write("\n]\n" if pretty else "]\n")
        self.terminal.stdout.flush()

    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Mapping[str, Any]],
        *,
        title: str | None = None,
        empty: str = "nothing to show",
    ) -> None:
        if not self.terminal.stdout_tty:
            for row in rows:
                line = "\t".join(_plain(cell(row.get(c.key))) for c in columns)
                self.terminal.stdout.write(redact.scrub(line) + "\n")
            self.terminal.stdout.flush()
            return
        if not rows:
            self.info(empty)
            return
        from rich.table import Table

        console = self._console(stderr=False)
        cells = [[_shown(row.get(c.key)) for c in columns] for row in rows]
        shown = fitting(columns, cells, console.width)
        table = Table(title=title, title_justify="left", header_style="bold")
        for index in shown:
            column = columns[index]
            widest = max(len(column.header), *(len(r[index]) for r in cells))
            table.add_column(
                column.header,
                justify=column.justify,  # type: ignore[arg-type]
                no_wrap=column.identifier,
                min_width=widest if column.identifier else None,
                overflow="fold",  # what does not fit wraps; nothing is cut to an ellipsis
            )
        for cells_of_row in cells:
            table.add_row(*(cells_of_row[i] for i in shown))
        console.print(table)

    def record(self, fields: Sequence[tuple[str, Any]], *, title: str | None = None) -> None:
        """One object as label/value pairs."""
        if not self.terminal.stdout_tty:
            for label, value in fields:
                line = f"{_plain(label)}\t{_plain(cell(value))}"
                self.terminal.stdout.write(redact.scrub(line) + "\n")
            self.terminal.stdout.flush()
            return
        from rich.table import Table

        table = Table(title=title, title_justify="left", show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        for label, value in fields:
            table.add_row(_shown(label), _shown(value))
        self._console(stderr=False).print(table)

    def text(self, line: str) -> None:
        """A line of data on stdout (e.g. a completion script)."""
        self.terminal.stdout.write(printable(redact.scrub(line), lines=True))
        if not line.endswith("\n"):
            self.terminal.stdout.write("\n")
        self.terminal.stdout.flush()

    # -- messages on stderr --------------------------------------------------------
    def _stderr(self, text: str, style: str | None = None) -> None:
        text = printable(redact.scrub(text), lines=True)
        if self.terminal.stderr_tty and not self.terminal.no_color and style:
            from rich.markup import escape

            self._console(stderr=True).print(f"[{style}]{escape(text)}[/{style}]")
        else:
            self.terminal.stderr.write(text + "\n")
            self.terminal.stderr.flush()

    def info(self, message: str) -> None:
        if not self.quiet:
            self._stderr(message)

    def success(self, message: str) -> None:
        if not self.quiet:
            self._stderr(message, "green")

    def summary(self, message: str) -> None:
        """The one line a quiet or unattended run still prints (stderr; not with --json)."""
        if not self.json_mode:
            self._stderr(message)

    def warn(self, message: str) -> None:
        self._stderr(f"warning: {message}", "yellow")

    def error(self, err: PrimaError) -> None:
        if self.json_mode:
            payload = {"error": err.to_dict()}
            self.terminal.stderr.write(to_json(payload) + "\n")
            self.terminal.stderr.flush()
            return
        for warning in err.warnings:
            self.warn(warning)
        self._stderr(f"error: {err.message}", "bold red")
        if err.hint:
            self._stderr(f"hint: {err.hint}", "dim")


def fitting(columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int) -> list[int]:
    """The indexes of the columns to show in ``width`` characters: every one that fits, the
    optional ones left out from the right first while the table is too wide."""
    natural = [
        max(len(c.header), *(len(r[i]) for r in cells)) + 3  # padding and a border
        for i, c in enumerate(columns)
    ]
    shown = list(range(len(columns)))
    for index in reversed(range(len(columns))):
        if sum(natural[i] for i in shown) + 1 <= width:
            break
        if columns[index].optional:
            shown.remove(index)
    return shown
