"""The one render call: an :class:`~prima_cli.core.result.OperationResult` and the
:class:`View` of its value become JSON, a table or a record, and an exit code.

A view declares, per kind of value, its JSON document and how people see it (a record of
label/value pairs, table columns with a row per item or a table drawn from the value, lines of
plain text) and optional lines saying what was done. Commands parse their options, call the
use case, and return ``render(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from prima_cli.cli.formats import Format, Shape, delimited, project
from prima_cli.cli.output import Column
from prima_cli.core.paging import Page
from prima_cli.errors import batch_failed

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
    #: JSON whatever the format (a JSON Schema)
    force_json: bool = False
    #: a batch that exits non-zero without an error: what failed and the hint, written as
    #: the error for scripts (one JSON line on stderr, once the command has returned:
    #: ``Output.end``), whose stdout holds each item
    failed: Callable[[T], tuple[str, str | None]] | None = None


@dataclass(frozen=True)
class Section:
    """One titled table of a :attr:`View.sections` view."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    empty: str = "nothing to show"


def render(out: Output, result: OperationResult[T], view: View[T]) -> int:
    """Print ``result`` as ``view`` and the run's shape (format, fields, jq) say on ``out``;
    the exit code of its outcome. A :class:`Page` also says on stderr what lies beyond it."""
    for warning in result.warnings:
        out.warn(warning)
    value: Any = result.value
    counted: _Counted | None = None
    if isinstance(value, Page):
        counted = _Counted(value.items)
        value = Page(counted, value.total, value.offset, value.limit)
    shape = out.shape
    if view.force_json or shape.format.machine:
        _machine(out, value, view, shape)
    elif shape.fields:
        _selected(out, value, view, shape.fields)
    else:
        _people(out, value, view)
    if counted is not None:
        _beyond(out, value, counted.count)
    if result.error is not None:
        out.error(result.error)
    elif result.outcome and view.failed is not None and shape.format.machine:
        message, hint = view.failed(result.value)
        out.closing_error = batch_failed(message, int(result.outcome), hint=hint)
    return int(result.outcome)


def _people(out: Output, value: Any, view: View[Any]) -> None:
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


class _Counted:
    """The rows of a page, counted as they are printed."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = items
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for item in self._items:
            self.count += 1
            yield item


def _beyond(out: Output, page: Page[Any], shown: int) -> None:
    end = page.offset + shown
    if end < page.total:
        out.notice(f"{shown} of {page.total} shown; next page: --offset {end}")
    elif shown == 0 and page.offset and page.total:
        out.notice(f"--offset {page.offset} is past the last of {page.total} rows")


def _items(value: Any, view: View[Any]) -> Iterable[Any]:
    if view.items is not None:
        return view.items(value)
    return value if isinstance(value, Iterable) else [value]


def _document(value: Any, view: View[Any]) -> tuple[Iterable[Any] | None, Any]:
    """The JSON items of a listing (streamed where the view says so), or the one document."""
    if view.document is None and view.row is not None:
        items = (view.json(item) for item in _items(value, view))
        return (items if view.stream else list(items)), None
    document = view.document(value) if view.document is not None else view.json(value)
    return (document if isinstance(document, list) else None), document


def _peeked(rows: Iterable[Any], fields: tuple[str, ...]) -> Iterator[Any]:
    """``rows`` projected on ``fields``; the first is projected before anything is printed,
    so a wrong field is a clean usage error."""
    iterator = iter(rows)
    first = next(iterator, _END)
    if first is _END:
        return iter(())
    head = project(first, fields)
    return chain([head], (project(row, fields) for row in iterator))


_END = object()


def _machine(out: Output, value: Any, view: View[Any], shape: Shape) -> None:
    rows, document = _document(value, view)
    fmt = Format.JSON if view.force_json else shape.format
    if rows is None:
        document = project(document, shape.fields)
        if shape.jq is not None:
            out.jq(shape.jq, document)
        elif fmt is Format.JSON:
            out.json(document)
        elif fmt is Format.JSONL:
            out.json_line(document)
        else:
            out.lines(delimited([document], fmt, shape.fields))
        return
    projected = _peeked(rows, shape.fields)
    if shape.jq is not None:
        out.jq(shape.jq, list(projected))
    elif fmt is Format.JSON:
        out.json_stream(projected) if view.stream else out.json(list(projected))
    elif fmt is Format.JSONL:
        for row in projected:
            out.json_line(row)
    else:
        out.lines(delimited(projected, fmt, shape.fields))


def _selected(out: Output, value: Any, view: View[Any], fields: tuple[str, ...]) -> None:
    """A table of the chosen keys of the JSON items (or a record of the one document)."""
    rows, document = _document(value, view)
    if rows is None:
        out.record(list(project(document, fields).items()))
        return
    columns = [Column(f, f) for f in fields]
    out.table(columns, list(_peeked(rows, fields)), empty=view.empty)
