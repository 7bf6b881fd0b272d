"""The :class:`~.ledger.Ledger` of a process without a store: breakers in memory."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prima_cli.platforms.http.ledger import BreakerState, BreakerView

if TYPE_CHECKING:
    from prima_cli.platforms.credential import Credential


@dataclass
class _Row:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opens: int = 0
    open_until: float = 0.0
    probe_at: float | None = None
    last_failure: str | None = None


class MemoryLedger:
    """Breakers of this process only (budgets need no ledger in one process)."""

    def __init__(self) -> None:
        self._rows: dict[str, _Row] = {}

    def clear(self) -> None:
        self._rows.clear()

    def _row(self, credential: Credential) -> _Row:
        return self._rows.setdefault(credential.digest, _Row())

    def reserve(self, credential: Credential, slots: int) -> float:
        return 0.0

    def pause(self, credential: Credential, seconds: float) -> None:
        return None

    def breaker(self, credential: Credential) -> BreakerView:
        row, now = self._row(credential), time.monotonic()
        return BreakerView(
            row.state, row.failures, row.opens, max(0.0, row.open_until - now),
            None if row.probe_at is None else now - row.probe_at, row.last_failure,
        )  # fmt: skip

    def claim_probe(self, credential: Credential, stale_after: float) -> bool:
        row, now = self._row(credential), time.monotonic()
        over = row.state is BreakerState.OPEN and row.open_until <= now
        stale = row.state is BreakerState.HALF_OPEN and (
            row.probe_at is None or now - row.probe_at > stale_after
        )
        if over or stale:
            row.state, row.probe_at = BreakerState.HALF_OPEN, now
            return True
        return False

    def release_probe(self, credential: Credential) -> None:
        row = self._row(credential)
        if row.state is BreakerState.HALF_OPEN:
            row.state, row.probe_at, row.open_until = BreakerState.OPEN, None, time.monotonic()

    def failed(
        self,
        credential: Credential,
        *,
        probe: bool,
        threshold: int,
        pauses: tuple[float, float],
        error: str,
    ) -> BreakerView:
        row = self._row(credential)
        row.failures += 1
        row.last_failure = error
        if (probe and row.state is BreakerState.HALF_OPEN) or (
            row.state is BreakerState.CLOSED and row.failures >= threshold
        ):
            row.state, row.probe_at = BreakerState.OPEN, None
            row.open_until = time.monotonic() + pause_after(row.opens, pauses)
            row.opens += 1
        return self.breaker(credential)

    def succeeded(self, credential: Credential) -> BreakerView:
        self._rows[credential.digest] = _Row()
        return self.breaker(credential)


def pause_after(opens: int, pauses: tuple[float, float]) -> float:
    """The pause of a breaker opened ``opens`` times before: doubled each time, capped."""
    first, longest = pauses
    return min(longest, first * 2 ** min(opens, 20))
