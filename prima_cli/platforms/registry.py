"""Adapter registry: resolves adapters by ``platform_type`` from the entry point group.

Built-in adapters are registered exactly as a third party would register one: one line
under ``[project.entry-points."prima.platforms"]`` in ``pyproject.toml``. A plugin that
fails to load is reported (``broken()``), never fatal for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from prima_cli.errors import InvalidInput

if TYPE_CHECKING:
    from prima_cli.platforms.contract import PlatformAdapter

GROUP = "prima.platforms"


@dataclass(frozen=True)
class BrokenPlugin:
    name: str
    target: str
    error: str


def _entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name, ep)
    return found


def type_names() -> list[str]:
    """Installed platform type names, without importing any adapter (for completion)."""
    return sorted(_entry_points())


@cache
def _load_all() -> tuple[dict[str, type[PlatformAdapter]], tuple[BrokenPlugin, ...]]:
    from prima_cli.platforms.contract import PlatformAdapter

    loaded: dict[str, type[PlatformAdapter]] = {}
    broken: list[BrokenPlugin] = []
    for name, ep in sorted(_entry_points().items()):
        try:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, PlatformAdapter)):
                raise TypeError(f"{ep.value} is not a PlatformAdapter subclass")
            if cls.name != name:
                raise TypeError(f"adapter name {cls.name!r} differs from entry point {name!r}")
        except Exception as exc:
            broken.append(BrokenPlugin(name, ep.value, f"{type(exc).__name__}: {exc}"))
            continue
        loaded[name] = cls
    return loaded, tuple(broken)


def available() -> dict[str, type[PlatformAdapter]]:
    """Every adapter class that loaded, by platform type."""
    return dict(_load_all()[0])


def broken() -> tuple[BrokenPlugin, ...]:
    """Plugins registered in the group that failed to load."""
    return _load_all()[1]


def get(platform_type: str) -> type[PlatformAdapter]:
    """The adapter class for ``platform_type``; unknown types are invalid input (exit 2)."""
    adapters = available()
    try:
        return adapters[platform_type]
    except KeyError:
        installed = ", ".join(sorted(adapters)) or "none"
        raise InvalidInput(
            f"unknown platform type {platform_type!r}",
            hint=f"installed platform types: {installed} (see `prima platforms types`)",
        ) from None


def clear_cache() -> None:
    """Forget loaded adapters (tests that install a plugin at run time)."""
    _load_all.cache_clear()
