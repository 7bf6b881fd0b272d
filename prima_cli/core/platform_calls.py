"""Running adapter calls from synchronous use cases: one client setup, one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

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
    ``store``, its requests share their credentials' budgets and breakers with every other
    process on that store."""
    from prima_cli.platforms.http import build_client

    if store is not None:
        share_through(store)
    client = build_client(
        connect_timeout=http.connect_timeout,
        read_timeout=http.read_timeout,
        max_connections=http.max_connections,
        max_keepalive_connections=http.max_connections,
    )
    async with client:
        yield client


def share_through(store: Store) -> None:
    """Budgets and breakers of credentials are shared through ``store`` from now on."""
    from prima_cli.core.credential_ledger import StoreLedger
    from prima_cli.platforms.http import breaker
    from prima_cli.platforms.http.ledger import current_ledger, use_ledger

    ledger = current_ledger()
    if isinstance(ledger, StoreLedger) and ledger.engine is store.engine:
        return
    breaker.forget()
    use_ledger(StoreLedger(store))


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)
