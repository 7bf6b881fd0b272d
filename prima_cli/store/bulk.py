"""Many-row statements of values prepared once: one executemany through the driver.

SQLAlchemy builds each row's parameters (``construct_params``) and runs each value through
its column type's bind processing, row after row. A sync writes thousands of rows of a few
columns whose values repeat (the batch's instant, a week of dates): that per-row work costs
more CPU than the database's own insert. Here the statement is compiled once per dialect,
as SQLAlchemy compiles it (the same SQL, bind casts included), each value is processed by
the caller with :func:`processor` (once per distinct value where values repeat), and the
rows go to the driver's ``executemany`` as they are, as SQLAlchemy's own executemany would
send them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.sql.compiler import SQLCompiler


def _same(value: Any) -> Any:
    return value


def processor(conn: Connection, column: sa.ColumnElement[Any]) -> Callable[[Any], Any]:
    """What the driver takes for a value of ``column`` on ``conn``'s database: the column
    type's bind processing (the identity where the type has none)."""
    dialect = conn.dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process or _same


#: compiled statements by (dialect, statement, parameter names): callers build each
#: statement once and keep it, so this holds a handful (bounded all the same)
_COMPILED: dict[tuple[Dialect, Any, tuple[str, ...]], SQLCompiler] = {}
_MAX_COMPILED = 64


def _compiled(dialect: Dialect, statement: Any, names: tuple[str, ...]) -> SQLCompiler:
    key = (dialect, statement, names)
    found = _COMPILED.get(key)
    if found is None:
        if len(_COMPILED) >= _MAX_COMPILED:
            _COMPILED.clear()
        found = _COMPILED[key] = statement.compile(
            dialect=dialect, column_keys=list(names), for_executemany=True
        )
    return found


def executemany(
    conn: Connection, statement: Any, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Run ``statement`` (an INSERT of the columns ``names``, or a statement whose bind
    parameters are ``names``) once per row of ``rows``, values in ``names`` order and each
    already what the driver takes (see :func:`processor`), in ``conn``'s transaction."""
    if not rows:
        return
    names = tuple(names)
    compiled = _compiled(conn.dialect, statement, names)
    params: Sequence[Any]
    if compiled.positional:
        order = [names.index(name) for name in compiled.positiontup or ()]
        if order == list(range(len(names))):
            params = [tuple(row) for row in rows]
        else:
            params = [tuple([row[i] for i in order]) for row in rows]
    else:
        params = [dict(zip(names, row, strict=True)) for row in rows]
    conn.exec_driver_sql(compiled.string, params)
