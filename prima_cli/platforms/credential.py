"""Which credential a request spends: platform type + a hash of the key and base URL.

Connections that share an API key share its budget, its circuit breaker and its credentials
check, whatever venue they belong to. A :class:`Credential` never holds the key: only a
SHA-256 of the connection's secret values and base URL, shown by its first 12 hex digits.

Every contract method of an :class:`~prima_cli.platforms.HttpPlatformAdapter` runs with the
credential of its ``connection`` argument bound (:func:`on_connection`), so the HTTP layer
paces and guards each request without adapters or use cases passing it along.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from prima_cli.errors import ConfigError, InvalidInput
from prima_cli.platforms import rate_limit
from prima_cli.platforms.rate_limit import RateLimit

# adapters and connections are typed loosely here: prima_cli.platforms.contract binds its
# adapters' methods with this module, which therefore cannot import it
Connection = Any
PlatformAdapter = Any

#: the common configuration key of every connection that overrides its platform's budget
#: (``contract.RATE_LIMIT_FIELD``)
RATE_LIMIT_KEY = "rate_limit"
#: hex digits of the hash shown to operators
SHOWN_DIGITS = 12
#: the contract methods that take a ``connection`` first and run with its credential bound
BOUND_METHODS = (
    "check_auth", "check_credential", "check_availability", "create_reservation",
    "cancel_reservation", "availability_calendar", "list_reservations", "find_reservation",
)  # fmt: skip


@dataclass(frozen=True)
class Credential:
    """One platform key as prima spends it (no secret inside)."""

    platform_type: str
    digest: str
    #: the connection's budget (its ``rate_limit``, else the platform's default)
    rate: RateLimit

    @property
    def key(self) -> str:
        """``covermanager:3f2a9c01b7de``: stored, logged and shown instead of the key."""
        return f"{self.platform_type}:{self.digest[:SHOWN_DIGITS]}"


def digest_of(adapter: type[PlatformAdapter], connection: Connection) -> str:
    """SHA-256 of the platform type, the secret values and the base URL."""
    config = connection.config
    base_url = config.get("base_url") or ""
    if not base_url:
        declared = adapter.field("base_url")
        base_url = (declared.default or "") if declared else ""
    parts = [adapter.name, base_url.strip().rstrip("/")]
    parts += [
        f"{name}={(config.get(name) or '').strip()}" for name in sorted(adapter.secret_fields())
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def rate_of(adapter: type[PlatformAdapter], connection: Connection) -> RateLimit:
    """The connection's ``rate_limit``, else the adapter's ``default_rate_limit``."""
    given = (connection.config.get(RATE_LIMIT_KEY) or "").strip()
    try:
        return _parsed(given or adapter.default_rate_limit)
    except InvalidInput as err:  # stored by hand around `platforms edit`, which validates
        raise ConfigError(
            f"the rate_limit of venue {connection.venue_slug!r}'s connection is not valid: "
            f"{err.message}",
            hint=err.hint,
        ) from None


_parsed = functools.lru_cache(maxsize=256)(rate_limit.parse)


def credential_of(adapter: type[PlatformAdapter], connection: Connection) -> Credential:
    return Credential(adapter.name, digest_of(adapter, connection), rate_of(adapter, connection))


#: the credential the current task's requests draw from (None: not paced, not guarded)
current: ContextVar[Credential | None] = ContextVar("prima_credential", default=None)

T = TypeVar("T")


def on_connection(
    method: Callable[..., Coroutine[Any, Any, T]],
) -> Callable[..., Coroutine[Any, Any, T]]:
    """Wrap an adapter coroutine method whose first argument is a ``Connection``."""
    if getattr(method, "__prima_bound__", False):
        return method

    @functools.wraps(method)
    async def bound(self: PlatformAdapter, connection: Connection, *args: Any, **kw: Any) -> T:
        token = current.set(credential_of(type(self), connection))
        try:
            return await method(self, connection, *args, **kw)
        finally:
            current.reset(token)

    bound.__prima_bound__ = True  # type: ignore[attr-defined]
    return bound
