"""Transitional: the invocation's :class:`~prima_cli.cli.application.Application` for the
command modules not yet given it through ``ctx.obj``. Removed once none imports it."""

from __future__ import annotations

from prima_cli.cli.application import Application
from prima_cli.cli.terminal import Terminal

_current: Application | None = None


def set_current(state: Application | None) -> None:
    global _current
    _current = state


def current() -> Application:
    global _current
    if _current is None:
        _current = Application(Terminal.from_system())
    return _current
