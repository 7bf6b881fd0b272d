"""Per-invocation state: global options, the terminal, and the output for this run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prima_cli.cli.output import Output
from prima_cli.cli.terminal import Terminal

if TYPE_CHECKING:
    from prima_cli.core.http_options import HttpOptions
    from prima_cli.store.store import Store


@dataclass
class AppState:
    terminal: Terminal
    db: str | None = None
    verbose: bool = False
    output: Output = field(init=False)
    _store: Store | None = None

    def __post_init__(self) -> None:
        self.output = Output(self.terminal)

    def use_json(self, enabled: bool, *, quiet: bool = False) -> Output:
        """Configure this run's output (``--json`` silences informational messages)."""
        self.output.json_mode = enabled
        self.output.quiet = quiet or enabled
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

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()


_current: AppState | None = None


def set_current(state: AppState | None) -> None:
    global _current
    _current = state


def current() -> AppState:
    global _current
    if _current is None:  # invoked without main(), e.g. by a bare Typer runner
        _current = AppState(Terminal.from_system())
    return _current
