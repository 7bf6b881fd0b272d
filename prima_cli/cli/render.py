"""The one render call: an :class:`~prima_cli.core.result.OperationResult` and the
:class:`View` of its value become JSON, a table or a record, and an exit code.

A view declares, per kind of value, its JSON document and how people see it (a record of
label/value pairs, table columns with a row per item or a table drawn from the value, lines of
plain text) and optional lines saying what was done. Commands parse their options, call the
use case, and return ``render(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from prima_cli.cli.output import Column

if TYPE_CHECKING:
    from prima_cli.cli.output import Output
    from prima_cli.core.result import OperationResult

T = TypeVar("T")


@dataclass(frozen=True)
class View(Generic[T]):
    """How a value of one kind is shown."""

    #: the JSON document (for a table view: of one item, unless ``document`` is given)
    json: Callable[[Any], Any]
    #: people: label/value pairs of the value...
    record: Callable[[T], Sequence[tuple[str, Any]]] | None = None
    #: ...or a table: its columns, one row per item of the value, and the empty message
    columns: Sequence[Column] = ()
    row: Callable[[Any], Mapping[str, Any]] | None = None
    empty: str = "nothing to show"
    #: the line saying what was done (stderr, not with --json)
    message: Callable[[T], str | None] | None = None
    #: the whole JSON document of a table view, when it is not the list of its items
    document: Callable[[T], Any] | None = None
    #: the table's items, when they are not the value itself (e.g. the results of a run)
    items: Callable[[T], Iterable[Any]] | None = None
    #: a plain line after the value (stderr, not with --json or --quiet), e.g. "nothing changed"
    note: Callable[[T], str | None] | None = None
    #: a table view's JSON is written item by item (lists of thousands of rows)
    stream: bool = False
    #: people: a table whose columns or rows come from the value as a whole (a header that
    #: names the date asked for, rows drawn from one part of a report)
    table: Callable[[T], tuple[Sequence[Column], Sequence[Mapping[str, Any]]]] | None = None
    #: people: lines of plain data on stdout (a script, a list of credentials)
    text: Callable[[T], Iterable[str]] | None = None
    #: people: several titled tables drawn from the value (a report)
    sections: Callable[[T], Iterable[Section]] | None = None


@dataclass(frozen=True)
class Section:
    """One titled table of a :attr:`View.sections` view."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    empty: str = "nothing to show"


def render(out: Output, result: OperationResult[T], view: View[T]) -> int:
    """Print ``result`` as ``view`` says on ``out``; the exit code of its outcome."""
    for warning in result.warnings:
        out.warn(warning)
    value = result.value
    if out.json_mode:
        _json(out, value, view)
    else:
        line = view.message(value) if view.message else None
        if line:
            out.success(line)
        if view.record is not None:
            out.record(view.record(value))
        if view.row is not None:
            items = list(_items(value, view))
            out.table(view.columns, [view.row(i) for i in items], empty=view.empty)
        elif view.table is not None:
            columns, rows = view.table(value)
            out.table(columns, rows, empty=view.empty)
        for section in view.sections(value) if view.sections is not None else ():
            out.section(section.title, section.columns, section.rows, empty=section.empty)
        if view.text is not None:
            for text_line in view.text(value):
                out.text(text_line)
        note = view.note(value) if view.note else None
        if note:
            out.info(note)
    if result.error is not None:
        out.error(result.error)
    return int(result.outcome)


def _items(value: Any, view: View[Any]) -> Iterable[Any]:
    if view.items is not None:
        return view.items(value)
    return value if isinstance(value, Iterable) else [value]


def _json(out: Output, value: Any, view: View[Any]) -> None:
    if view.document is not None:
        out.json(view.document(value))
    elif view.row is not None and view.stream:
        out.json_stream(view.json(item) for item in _items(value, view))
    elif view.row is not None:
        out.json([view.json(item) for item in _items(value, view)])
    else:
        out.json(view.json(value))
