"""Running adapter calls from synchronous use cases: one client setup, one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from prima_cli import collector
from prima_cli.core.http_options import HttpOptions

if TYPE_CHECKING:
    import httpx

    from prima_cli.store.store import Store

T = TypeVar("T")


@asynccontextmanager
async def open_client(
    http: HttpOptions, store: Store | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The shared HTTP client for one run (built by the platforms' one factory); with a
    ``store``, the run's requests share their credentials' budgets and breakers with every
    other process on that store."""
    from prima_cli.core.credential_ledger import StoreLedger
    from prima_cli.platforms.http import build_client
    from prima_cli.platforms.http.ledger import reset_ledger, use_ledger

    client = build_client(
        connect_timeout=http.connect_timeout,
        read_timeout=http.read_timeout,
        max_connections=http.max_connections,
        max_keepalive_connections=http.max_connections,
    )
    token = use_ledger(StoreLedger(store)) if store is not None else None
    try:
        async with client:
            yield client
    finally:
        if token is not None:
            reset_ledger(token)


def run(coro: Coroutine[Any, Any, T]) -> T:
    collector.settle()  # the command's modules are loaded by now
    return asyncio.run(coro)
