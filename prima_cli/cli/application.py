"""The invocation: global options, the terminal, the output and the store of one run of prima.

One :class:`Application` is made by ``main`` and passed to every command as Click's
``ctx.obj`` (as hatch passes its own); commands get it with :func:`application`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from prima_cli.cli.formats import Shape
from prima_cli.cli.output import Output
from prima_cli.cli.terminal import Terminal

if TYPE_CHECKING:
    from prima_cli.cli.render import View
    from prima_cli.core.http_options import HttpOptions
    from prima_cli.core.result import OperationResult
    from prima_cli.store.store import Store

T = TypeVar("T")


@dataclass
class Application:
    terminal: Terminal
    db: str | None = None
    verbose: bool = False
    output: Output = field(init=False)
    #: a listing's --format/--fields/--jq/--json (set by ``options.listing``)
    shape: Shape | None = None
    _store: Store | None = None

    def __post_init__(self) -> None:
        self.output = Output(self.terminal)

    def use_json(self, enabled: bool, *, quiet: bool = False) -> Output:
        """Configure this run's output (``--json`` silences informational messages)."""
        return self.use_shape(Shape.parse(json=enabled), quiet=quiet)

    def use_shape(self, shape: Shape, *, quiet: bool = False) -> Output:
        """Configure this run's output: any format for scripts silences messages."""
        self.output.shape = shape
        self.output.json_mode = shape.format.machine
        self.output.quiet = quiet or shape.format.machine
        return self.output

    def store(self, *, require_schema: bool = True, create: bool = False) -> Store:
        """The store named by --db / PRIMA_DATABASE_URL / the default, schema checked.

        ``create``: a missing SQLite file may be created (only `db migrate` and `demo`).
        """
        if self._store is None:
            from prima_cli.store.store import Store
            from prima_cli.store.url import resolve

            url, _source = resolve(self.db)
            self._store = Store(url, create=create)
        if require_schema:
            self._store.require_schema()
        return self._store

    @property
    def store_url(self) -> str | None:
        """The URL of the store this run opened, if it opened one."""
        return self._store.url if self._store is not None else None

    def http_options(self) -> HttpOptions:
        from prima_cli.core.http_options import HttpOptions

        return HttpOptions.from_env()

    def render(
        self, result: OperationResult[T], view: View[T], *, json: bool = False, quiet: bool = False
    ) -> int:
        """Print a use case's result as ``view`` says; its exit code (commands return it).

        ``quiet`` leaves out the lines saying what was done (the value itself is printed); a
        listing prints in the shape its output options chose."""
        from prima_cli.cli.render import render

        self.use_shape(self.shape or Shape.parse(json=json), quiet=quiet)
        return render(self.output, result, view)

    def close(self) -> None:
        """Let go of the store (its connections and files); safe to call twice."""
        store, self._store = self._store, None
        if store is not None:
            store.dispose()


def application(ctx: Any) -> Application:
    """The invocation's :class:`Application` (Click's ``ctx.obj``); one is made when prima
    runs without ``main`` (a bare Typer runner)."""
    found = ctx.find_object(Application)
    if found is None:
        found = Application(Terminal.from_system())
        ctx.obj = found
    return found
