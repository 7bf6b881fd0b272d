"""The installed platform types and their configuration fields (`prima platforms types`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from prima_cli.core.result import OperationResult

if TYPE_CHECKING:
    from prima_cli.platforms.contract import PlatformAdapter


@dataclass(frozen=True)
class PlatformType:
    name: str
    adapter: type[PlatformAdapter]


def installed() -> OperationResult[list[PlatformType]]:
    """Every adapter that loaded, by name; a warning for each plugin that failed to load."""
    from prima_cli.platforms import registry

    found = [PlatformType(name, cls) for name, cls in sorted(registry.available().items())]
    warnings = [
        f"platform plugin {plugin.name} ({plugin.target}) failed to load: {plugin.error}"
        for plugin in registry.broken()
    ]
    return OperationResult.ok(found, warnings)
