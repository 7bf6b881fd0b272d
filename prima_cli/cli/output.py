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

from prima_cli import redact
from prima_cli.cli.formats import Format, Shape, to_json
from prima_cli.cli.terminal import Terminal
from prima_cli.cli.terminal_text import printable
from prima_cli.errors import PrimaError


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


#: syslog priorities of logging levels (journald reads ``<N>`` at the start of a line)
_JOURNAL_PRIORITY = {10: 7, 20: 6, 30: 4, 40: 3}


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
        #: data for scripts (any --format but table): messages silenced, errors as JSON
        self.json_mode = json_mode
        self.quiet = quiet
        #: messages are log records (``--log-format json|logfmt``), so every stderr line parses
        self.structured = False
        #: stderr is the systemd journal: plain lines start with their syslog priority
        self.journal = False
        #: the format, fields and jq filter of this run's data
        self.shape = Shape(Format.JSON if json_mode else Format.TABLE)
        #: the error of a batch that exits non-zero, written by :meth:`end` once the command
        #: has returned: an error raised after its data (an interrupt while a sync pings)
        #: is then the one error line, with the exit code the process ends with
        self.closing_error: PrimaError | None = None

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

    def json_line(self, data: Any) -> None:
        """One compact JSON document on one line (a JSON Lines record)."""
        self.terminal.stdout.write(to_json(data, pretty=False) + "\n")
        self.terminal.stdout.flush()

    def lines(self, lines: Iterable[str]) -> None:
        """Lines of data as they are (CSV, TSV), secrets masked."""
        write = self.terminal.stdout.write
        for line in lines:
            write(redact.scrub(line) + "\n")
        self.terminal.stdout.flush()

    def jq(self, expression: str, document: Any) -> None:
        """What the jq ``expression`` yields for ``document``: strings raw, the rest JSON."""
        from prima_cli.cli.formats import jq_outputs

        run = jq_outputs(expression, to_json(document, pretty=False))
        for value in run.outputs:
            if isinstance(value, str):
                self.text(value)
            else:
                self.json(value)
        if run.halt_message:
            self.notice(run.halt_message)

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

    def section(self, title: str, columns: Sequence[Column],
                rows: Sequence[Mapping[str, Any]], *, empty: str) -> None:  # fmt: skip
        """A titled table; in plain text, a ``# title`` line, then its rows (tab-separated).
        An empty section is one line of the data (``title: empty``), not a message."""
        if not self.terminal.stdout_tty:
            self.text(f"# {title}")
        elif not rows:
            self.text(f"{title}: {empty}")
        if rows or not self.terminal.stdout_tty:
            self.table(columns, rows, title=title)

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
    def _stderr(
        self,
        text: str,
        style: str | None = None,
        *,
        level: int = 20,
        event: str = "message",
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        if self.structured:
            import logging

            extra = {"event": event, **(fields or {})}
            logging.getLogger("prima.cli").log(level, text, extra=extra)
            return
        text = printable(redact.scrub(text), lines=True)
        if self.journal:
            text = f"<{_JOURNAL_PRIORITY.get(level, 6)}>{text}"
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

    def summary(
        self, message: str, *, level: int = 20, fields: Mapping[str, Any] | None = None
    ) -> None:
        """The line an unattended run still prints (stderr; not with --json)."""
        if not self.json_mode:
            self._stderr(message, level=level, event="summary", fields=fields)

    def notice(self, message: str) -> None:
        """A fact about the data that scripts need too (e.g. rows beyond --limit): stderr,
        whatever the format."""
        self._stderr(message, "dim", event="notice")

    def warn(self, message: str, *, fields: Mapping[str, Any] | None = None) -> None:
        if self.structured:
            self._stderr(message, level=30, event="warning", fields=fields)
        else:
            self._stderr(f"warning: {message}", "yellow", level=30)

    def end(self) -> None:
        """The command returned: write its :attr:`closing_error`, if any."""
        err, self.closing_error = self.closing_error, None
        if err is not None:
            self.error(err)

    def error(self, err: PrimaError) -> None:
        """The error: for scripts (any --format but table, stderr not a terminal) one JSON
        line; for people the message, its warnings and the hint."""
        if self.json_mode and not self.terminal.stderr_tty:
            payload = {"error": err.to_dict()}
            self.terminal.stderr.write(to_json(payload, pretty=False) + "\n")
            self.terminal.stderr.flush()
            return
        for warning in err.warnings:
            self.warn(warning)
        if self.structured:
            fields = {"error_type": err.type, "hint": err.hint, "exit_code": int(err.exit_code)}
            self._stderr(err.message, level=40, event="error", fields=fields)
            return
        self._stderr(f"error: {err.message}", "bold red", level=40)
        if err.hint:
            self._stderr(f"hint: {err.hint}", "dim", level=40)


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
