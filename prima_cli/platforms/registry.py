"""Adapter registry: resolves adapters by ``platform_type`` from the entry point groups.

Built-in adapters are registered exactly as a third party would register one: one line
under ``[project.entry-points."prima.platforms.v1"]`` in ``pyproject.toml``. The legacy
group ``prima.platforms`` is read too (adapters registered before the SDK was versioned);
a type in both loads from ``prima.platforms.v1``. A plugin that fails to load, or needs an
SDK version this prima does not provide, is reported (``broken()``), never fatal for the
others.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from prima_cli.errors import InvalidInput
from prima_cli.platforms.versioning import (
    ENTRY_POINT_GROUP,
    ENTRY_POINT_GROUPS,
    LEGACY_ENTRY_POINT_GROUP,
    incompatibility,
)

if TYPE_CHECKING:
    from prima_cli.platforms.contract import PlatformAdapter

#: the group built-ins and new plugins register in
GROUP = ENTRY_POINT_GROUP
LEGACY_GROUP = LEGACY_ENTRY_POINT_GROUP


@dataclass(frozen=True)
class BrokenPlugin:
    name: str
    target: str
    error: str


def _entry_points() -> dict[str, EntryPoint]:
    # One scan of the installed distributions' metadata serves every group: each scan reads
    # every distribution's entry points, a cost paid in every command's start-up.
    installed = entry_points()
    found: dict[str, EntryPoint] = {}
    for group in ENTRY_POINT_GROUPS:
        for ep in installed.select(group=group):
            found.setdefault(ep.name, ep)
    return found


def type_names() -> list[str]:
    """Installed platform type names, without importing any adapter (for completion)."""
    return sorted(_entry_points())


def group_of(platform_type: str) -> str | None:
    """The entry point group ``platform_type`` is registered in (``None``: not installed)."""
    ep = _entry_points().get(platform_type)
    return ep.group if ep is not None else None


def _check(name: str, ep: EntryPoint, cls: object) -> type[PlatformAdapter]:
    from prima_cli.platforms.contract import PlatformAdapter

    if not (isinstance(cls, type) and issubclass(cls, PlatformAdapter)):
        raise TypeError(f"{ep.value} is not a PlatformAdapter subclass")
    if cls.name != name:
        raise TypeError(f"adapter name {cls.name!r} differs from entry point {name!r}")
    why = incompatibility(str(cls.sdk_version))
    if why is not None:
        raise TypeError(why)
    return cls


@cache
def _load_all() -> tuple[dict[str, type[PlatformAdapter]], tuple[BrokenPlugin, ...]]:
    loaded: dict[str, type[PlatformAdapter]] = {}
    broken: list[BrokenPlugin] = []
    for name, ep in sorted(_entry_points().items()):
        try:
            loaded[name] = _check(name, ep, ep.load())
        except Exception as exc:
            broken.append(BrokenPlugin(name, ep.value, f"{type(exc).__name__}: {exc}"))
    return loaded, tuple(broken)


def available() -> dict[str, type[PlatformAdapter]]:
    """Every adapter class that loaded, by platform type."""
    return dict(_load_all()[0])


def broken() -> tuple[BrokenPlugin, ...]:
    """Plugins registered in the groups that failed to load."""
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
