"""Helpers shared by the adapter tests (constants, connections, a call runner)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import respx

from prima_cli.platforms import http
from prima_cli.platforms.contract import Connection, PlatformAdapter, ReservationRequest

CM_KEY = "cmKey-Secret-7f3a9c21d4"
CM_BASE = "https://cm.test/api"
RESTOO_KEY = "rtKey-Secret-5b8e0a61f2"
RESTOO_BASE = "https://restoo.test"


def cm_connection(**config: str) -> Connection:
    values = {"restaurant_id": "prima-test", "api_key": CM_KEY, "base_url": CM_BASE}
    values.update(config)
    return Connection("covermanager", values, "casa-pepe", timezone="Europe/Madrid")


def restoo_connection(timezone: str = "Europe/Madrid", **config: str) -> Connection:
    values = {"account": "casa-pepe", "api_key": RESTOO_KEY, "base_url": RESTOO_BASE}
    values.update(config)
    return Connection("restoo", values, "casa-pepe", timezone=timezone)


def call(adapter_cls: type[PlatformAdapter], method: str, *args: Any, verbose: bool = False) -> Any:
    """Run ``adapter.method(*args)`` on a fresh client in a fresh event loop."""

    async def go() -> Any:
        async with http.build_client(verbose=verbose) as client:
            return await getattr(adapter_cls(client), method)(*args)

    return asyncio.run(go())


def body_of(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


def booking(**overrides: Any) -> ReservationRequest:
    values: dict[str, Any] = {
        "reference": "PRIMA-00042",
        "date": dt.date(2026, 12, 1),
        "time": dt.time(20, 0),
        "party_size": 4,
        "first_name": "Ana",
        "last_name": "García López",
        "email": "ana.garcia@example.org",
        "phone_e164": "+34600111222",
        "notes": "window table",
    }
    values.update(overrides)
    return ReservationRequest(**values)
