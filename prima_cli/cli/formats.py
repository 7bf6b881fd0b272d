"""Output formats of the one renderer: table, json, jsonl, csv and tsv, field selection and
``--jq`` filters.

Every format but ``table`` is written from the JSON document of the command (the contract of
``prima help json``): ``jsonl`` one item per line, ``csv``/``tsv`` one row per item under a
header of its keys. ``--fields`` names keys of those items, ``--jq`` filters the document with
jq itself (the ``jq`` package: libjq's own language, not an imitation).

CSV and TSV cells are guarded against formula injection (OWASP "CSV Injection"): a text cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``,
so a guest named ``=HYPERLINK(...)`` stays text in a spreadsheet. Numbers, and text made of
digits, spaces, ``( ) . -`` with one leading ``+`` or ``-`` (``-5``, ``+34 600 123 456``), keep
their value: without a letter, a quote or a ``|`` such a cell can call no function and name no
cell, so a spreadsheet can at most compute it. JSON and JSONL carry every value exactly.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from prima_cli import redact
from prima_cli.cli.terminal_text import json_safe, printable
from prima_cli.errors import InvalidInput


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


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    TSV = "tsv"

    @property
    def machine(self) -> bool:
        """Data for scripts: messages silenced, errors one JSON line on a non-terminal."""
        return self is not Format.TABLE


@dataclass(frozen=True)
class Shape:
    """How one run prints its data: the format, the keys kept, the jq filter."""

    format: Format = Format.TABLE
    fields: tuple[str, ...] = ()
    jq: str | None = None

    @classmethod
    def parse(
        cls, *, json: bool = False, fmt: str | None = None, fields: str | None = None,
        jq: str | None = None,
    ) -> Shape:  # fmt: skip
        """The shape the options ask for; contradictions are usage errors."""
        chosen = Format.TABLE
        if fmt is not None:
            try:
                chosen = Format(fmt.lower())
            except ValueError:
                known = ", ".join(f.value for f in Format)
                raise InvalidInput(f"--format must be one of {known}, not {fmt!r}") from None
        if json:
            if fmt is not None and chosen is not Format.JSON:
                raise InvalidInput(f"--json is --format json; it cannot go with --format {fmt}")
            chosen = Format.JSON
        if jq is not None:
            if fmt is not None and chosen is not Format.JSON:
                raise InvalidInput("--jq filters the JSON document: use it without --format")
            chosen = Format.JSON
        names = tuple(f.strip() for f in (fields or "").split(",") if f.strip())
        if fields is not None and not names:
            raise InvalidInput("--fields needs one or more comma-separated keys")
        return cls(chosen, names, jq)


def project(item: Any, fields: Sequence[str], available: Iterable[str] = ()) -> Any:
    """``item`` with only ``fields``, in that order (an unknown key is a usage error)."""
    if not fields or not isinstance(item, Mapping):
        return item
    missing = [f for f in fields if f not in item]
    if missing:
        known = ", ".join(available or item)
        raise InvalidInput(f"no field {missing[0]!r} here", hint=f"fields: {known}")
    return {f: item[f] for f in fields}


def flat(value: Any) -> str:
    """One CSV/TSV cell: text as is, null empty, booleans true/false, the rest compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = to_json(value, pretty=False)
    return text[1:-1] if text.startswith('"') else text


#: the first characters that make a spreadsheet read a cell as a formula (OWASP)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: a signed number or phone number: no letter, quote, ``|`` or ``!``, so no function or cell
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9 ().-]*[0-9][0-9 ().-]*")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a CSV/TSV cell a spreadsheet shows as text: a leading ``'`` when it would
    start a formula, unless it is a plain number or phone number (see the module)."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(value: Any) -> str:
    """One data cell: a number as written, anything else flattened and formula-safe."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return flat(value)
    return spreadsheet_safe(flat(value))


def delimited(rows: Iterable[Any], fmt: Format, fields: Sequence[str]) -> Iterator[str]:
    """CSV (RFC 4180) or TSV lines: a header of the keys, then one line per row.

    The header is ``fields``, or the first row's keys (no row, no header); TSV cells have
    tabs and line breaks replaced by spaces, and control characters are escaped in both, so
    each line stays one record. A data cell that would start a spreadsheet formula starts
    with ``'`` (:func:`spreadsheet_safe`).
    """
    import csv
    import io

    header: list[str] | None = list(fields) or None
    if header is not None:  # named: printed even when no row comes
        yield _line(header, fmt, csv, io)
    for row in rows:
        record = row if isinstance(row, Mapping) else {"value": row}
        if header is None:
            header = list(record)
            yield _line(header, fmt, csv, io)
        yield _line([_cell(record.get(key)) for key in header], fmt, csv, io)


def _line(cells: list[str], fmt: Format, csv: Any, io: Any) -> str:
    if fmt is Format.TSV:
        flat_cells = (c.replace("\t", " ").replace("\r", " ").replace("\n", " ") for c in cells)
        return "\t".join(printable(c) for c in flat_cells)
    buffer = io.StringIO()
    # controls escaped as in every cell prima prints: a record stays one line, and no
    # escape sequence from data reaches a terminal
    csv.writer(buffer, lineterminator="").writerow([printable(c) for c in cells])
    return str(buffer.getvalue())


#: what marks jq's ``halt_error`` in the error the program below raises
_HALTED = "prima:jq:halt_error:"
#: ``halt_error`` ends a program the way ``halt`` does for the jq package (it sees no error),
#: so programs run with it redefined as an error that carries its exit status and message;
#: unlike jq's own, ``try`` and ``?`` catch it
_HALT_ERROR = (
    f'def halt_error($code): error("{_HALTED}\\($code):"'
    ' + (if type == "string" then . else tojson end)); '
    "def halt_error: halt_error(5); "
)


@dataclass(frozen=True)
class JqRun:
    """What a ``--jq`` filter printed, and the message of a ``halt_error(0)`` (stderr)."""

    outputs: list[Any]
    halt_message: str | None = None


def jq_outputs(expression: str, document_json: str) -> JqRun:
    """Every value ``expression`` yields for the document.

    A bad expression, an ``error(...)`` and a ``halt_error`` are usage errors (exit 2, the
    message on stderr, nothing on stdout); ``halt`` ends the output with exit 0, as does
    ``halt_error(0)``, whose message is then for stderr.
    """
    import jq

    try:
        program = jq.compile(expression)
    except ValueError as err:
        raise InvalidInput(f"--jq: {err}") from None
    # a program the definitions cannot precede (an `import` comes first) keeps jq's own
    with contextlib.suppress(ValueError):
        program = jq.compile(_HALT_ERROR + expression)
    outputs: list[Any] = []
    try:
        for value in program.input_text(document_json):
            outputs.append(value)
    except ValueError as err:
        message = str(err)
        if not message.startswith(_HALTED):
            raise InvalidInput(f"--jq: {message}") from None
        code, _, text = message.removeprefix(_HALTED).partition(":")
        text = text.rstrip("\n")
        if code == "0":
            return JqRun(outputs, text)
        raise InvalidInput(
            f"--jq: {text or 'halted'}", hint=f"the filter called halt_error({code})"
        ) from None
    return JqRun(outputs)
