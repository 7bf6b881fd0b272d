"""HTTP timeouts for this run (from the environment).

Verbosity is not here: the entry point routes the ``prima.http`` trace to stderr when
``--verbose`` is given, like every other ``prima.*`` log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from prima_cli.errors import ConfigError


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, not {raw!r}")
    return value


@dataclass(frozen=True)
class HttpOptions:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    #: connection pool size; concurrent work (sync) raises it to its concurrency
    max_connections: int = 20

    @classmethod
    def from_env(cls) -> HttpOptions:
        return cls(
            connect_timeout=_float_env("PRIMA_CONNECT_TIMEOUT", 5.0),
            read_timeout=_float_env("PRIMA_READ_TIMEOUT", 15.0),
        )
