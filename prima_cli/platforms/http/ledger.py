"""Where budgets and circuit breakers of credentials are shared between processes.

The HTTP layer paces and guards requests in process memory; a :class:`Ledger`, set by the
core for the tasks of a run (:func:`use_ledger`), makes every process on one store share them: the
core's implementation keeps one row per credential, updated atomically with the database's
clock. Without a ledger (an adapter used on its own), budgets and breakers are per process.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from prima_cli.platforms.credential import Credential


class BreakerState(StrEnum):
    """A circuit breaker's state: closed lets requests through, open refuses them before
    sending, half-open lets one probe through whose outcome closes or reopens it."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerView:
    """A breaker as last read: ``open_for`` seconds left open, ``probe_age`` seconds since
    a half-open probe was let through (None when none is)."""

    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opens: int = 0
    open_for: float = 0.0
    probe_age: float | None = None
    last_failure: str | None = None


class Ledger(Protocol):
    """Shared state of credentials (one implementation per store, in the core)."""

    def reserve(self, credential: Credential, slots: int) -> float:
        """Take the credential's next ``slots`` request slots; seconds from now until the
        first (0 when it is free now). Later slots follow at ``credential.rate.interval``."""

    def pause(self, credential: Credential, seconds: float) -> None:
        """No slot of the credential before ``seconds`` from now (a 429's Retry-After)."""

    def breaker(self, credential: Credential) -> BreakerView:
        """The breaker as stored."""

    def claim_probe(self, credential: Credential, stale_after: float) -> bool:
        """Half-open the open breaker whose pause is over, or take over a probe older than
        ``stale_after`` seconds; True for the one caller that got the probe."""

    def release_probe(self, credential: Credential) -> None:
        """Give back a probe that asked nothing of the platform: a half-open breaker is open
        again with its pause over, so the next request is the probe."""

    def failed(
        self,
        credential: Credential,
        *,
        probe: bool,
        threshold: int,
        pauses: tuple[float, float],
        error: str,
    ) -> BreakerView:
        """Count a failure; open after ``threshold`` in a row (or a failed probe) for
        ``pauses[0]`` doubled per reopening up to ``pauses[1]`` seconds."""

    def succeeded(self, credential: Credential) -> BreakerView:
        """Close the breaker and forget the failures."""


#: the ledger of the running command's tasks (a context variable: set for one run, it does not
#: outlive it, and tasks started inside the run inherit it)
_ledger: ContextVar[Ledger | None] = ContextVar("prima_ledger", default=None)


def use_ledger(ledger: Ledger | None) -> Token[Ledger | None]:
    """Share budgets and breakers through ``ledger`` in this context (None: this process
    only); ``reset_ledger`` with the token returned ends it."""
    return _ledger.set(ledger)


def reset_ledger(token: Token[Ledger | None]) -> None:
    _ledger.reset(token)


def current_ledger() -> Ledger | None:
    return _ledger.get()


def unshared_reason(exc: Exception) -> str:
    """Why the ledger could not be used, for a warning: the error's first line only (a
    database error's further lines quote its SQL and a link to the library's docs)."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
