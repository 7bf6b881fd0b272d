"""Running adapter calls from synchronous use cases: one client setup, one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from prima_cli.core.http_options import HttpOptions

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")


@asynccontextmanager
async def open_client(http: HttpOptions) -> AsyncIterator[httpx.AsyncClient]:
    """The shared HTTP client for one run (built by the platforms' one factory)."""
    from prima_cli.platforms.http import build_client

    client = build_client(
        connect_timeout=http.connect_timeout,
        read_timeout=http.read_timeout,
        max_connections=http.max_connections,
        max_keepalive_connections=http.max_connections,
    )
    async with client:
        yield client


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)
