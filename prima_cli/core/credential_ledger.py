"""Budgets and circuit breakers of credentials shared through the store.

One ``platform_credentials`` row per credential (revision 0009). Each change reads the row
and the database's clock in one transaction and writes it back only if no other process
changed it meanwhile (a version number), so processes on one store -- several machines on
PostgreSQL or MariaDB, a create beside a sync on SQLite -- share every budget and breaker
without trusting each other's clocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from prima_cli.errors import DatabaseBusy
from prima_cli.platforms.http.ledger import BreakerState, BreakerView
from prima_cli.platforms.http.memory_ledger import pause_after
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from prima_cli.platforms.credential import Credential
    from prima_cli.store.store import Store

#: seconds on the database's clock (SQLite's is this machine's)
_CLOCK = {
    "sqlite": "SELECT (julianday('now') - 2440587.5) * 86400.0",
    "postgresql": "SELECT EXTRACT(EPOCH FROM clock_timestamp())",
    # from UTC, not NOW(): UNIX_TIMESTAMP(NOW()) goes through the session's time zone, whose
    # repeated autumn hour can send the clock back an hour
    "mysql": "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(6)) / 1e6",
}
_INSERT = {
    "sqlite": "INSERT OR IGNORE INTO",
    "postgresql": "INSERT INTO",
    "mysql": "INSERT IGNORE INTO",
}
_COLUMNS = ("version", "budget_tat", "breaker_state", "failures", "opens", "open_until",
            "probe_at", "last_failure")  # fmt: skip
_ATTEMPTS = 50

Row = dict[str, Any]


class StoreLedger:
    """The :class:`~prima_cli.platforms.http.ledger.Ledger` of one store."""

    def __init__(self, store: Store) -> None:
        self.engine: Engine = store.engine
        self.dialect = self.engine.dialect.name
        self._known: set[str] = set()

    # --- one change, atomically -------------------------------------------------------

    @contextmanager
    def _database(self) -> Iterator[None]:
        """A failed database call as prima's one-sentence error (exit 75 or 78): the budget
        and breaker layers log it, and SQLAlchemy's own text (statements, parameters, its
        help links) must not reach a log."""
        from sqlalchemy.exc import SQLAlchemyError

        from prima_cli.store.engine import connect_error

        try:
            yield
        except SQLAlchemyError as exc:
            raise connect_error(str(self.engine.url), exc) from None

    def _ensure(self, credential: Credential) -> None:
        if credential.key in self._known:
            return
        conflict = " ON CONFLICT DO NOTHING" if self.dialect == "postgresql" else ""
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(f"{_INSERT[self.dialect]} platform_credentials (credential, "
                        "platform_type, updated_at) VALUES (:c, :t, :now)" + conflict),
                {"c": credential.key, "t": credential.platform_type, "now": utcnow()},
            )  # fmt: skip
        self._known.add(credential.key)

    def _read(self, conn: Connection, credential: Credential) -> tuple[Row, float]:
        now = clock_now(conn)
        row = conn.execute(
            sa.text(f"SELECT {', '.join(_COLUMNS)} FROM platform_credentials "
                    "WHERE credential = :c"),
            {"c": credential.key},
        ).mappings().one()  # fmt: skip
        return dict(row), now

    def _change(
        self, credential: Credential, change: Callable[[Row, float], Row]
    ) -> tuple[Row, float]:
        """``change(row, now)`` applied as one compare-and-set; the row after it and ``now``."""
        from sqlalchemy.exc import DBAPIError

        from prima_cli.store.engine import is_busy

        with self._database():
            self._ensure(credential)
            for _ in range(_ATTEMPTS):
                try:
                    with self.engine.begin() as conn:
                        row, now = self._read(conn, credential)
                        new = change(dict(row), now)
                        if not new:
                            return row, now
                        sets = ", ".join(f"{k} = :{k}" for k in new)
                        done = conn.execute(
                            sa.text(f"UPDATE platform_credentials SET {sets}, "
                                    "version = version + 1, updated_at = :updated "
                                    "WHERE credential = :c AND version = :v"),
                            {**new, "updated": utcnow(), "c": credential.key, "v": row["version"]},
                        ).rowcount  # fmt: skip
                except DBAPIError as exc:
                    if is_busy(exc):
                        continue
                    raise
                if done == 1:
                    return {**row, **new}, now
        raise DatabaseBusy(f"the state of credential {credential.key} kept changing under us")

    def _look(self, credential: Credential) -> tuple[Row, float]:
        with self._database():
            self._ensure(credential)
            with self.engine.connect() as conn:
                return self._read(conn, credential)

    # --- budget ------------------------------------------------------------------------

    def reserve(self, credential: Credential, slots: int) -> float:
        rate = credential.rate
        early = (rate.burst - 1) * rate.interval  # how far behind the pace a burst may start
        start: list[float] = []

        def take(row: Row, now: float) -> Row:
            first = max(row["budget_tat"], now - early)
            start[:] = [first - now]
            return {"budget_tat": first + slots * rate.interval}

        self._change(credential, take)
        return max(0.0, start[0])

    def pause(self, credential: Credential, seconds: float) -> None:
        self._change(
            credential, lambda row, now: {"budget_tat": max(row["budget_tat"], now + seconds)}
        )

    # --- breaker -----------------------------------------------------------------------

    def breaker(self, credential: Credential) -> BreakerView:
        return _view(*self._look(credential))

    def claim_probe(self, credential: Credential, stale_after: float) -> bool:
        claimed: list[bool] = [False]

        def claim(row: Row, now: float) -> Row:
            state = BreakerState(row["breaker_state"])
            over = state is BreakerState.OPEN and (row["open_until"] or 0) <= now
            stale = state is BreakerState.HALF_OPEN and now - (row["probe_at"] or 0) > stale_after
            claimed[0] = over or stale
            if not claimed[0]:
                return {}
            return {"breaker_state": BreakerState.HALF_OPEN.value, "probe_at": now}

        self._change(credential, claim)
        return claimed[0]

    def release_probe(self, credential: Credential) -> None:
        def release(row: Row, now: float) -> Row:
            if BreakerState(row["breaker_state"]) is not BreakerState.HALF_OPEN:
                return {}
            return {"breaker_state": BreakerState.OPEN.value, "probe_at": None,
                    "open_until": now}  # fmt: skip

        self._change(credential, release)

    def failed(
        self,
        credential: Credential,
        *,
        probe: bool,
        threshold: int,
        pauses: tuple[float, float],
        error: str,
    ) -> BreakerView:
        def count(row: Row, now: float) -> Row:
            state = BreakerState(row["breaker_state"])
            new: Row = {"failures": row["failures"] + 1, "last_failure": error}
            if (probe and state is BreakerState.HALF_OPEN) or (
                state is BreakerState.CLOSED and new["failures"] >= threshold
            ):
                new.update(breaker_state=BreakerState.OPEN.value, probe_at=None,
                           open_until=now + pause_after(row["opens"], pauses),
                           opens=row["opens"] + 1)  # fmt: skip
            return new

        return _view(*self._change(credential, count))

    def succeeded(self, credential: Credential) -> BreakerView:
        closed = {"breaker_state": BreakerState.CLOSED.value, "failures": 0, "opens": 0,
                  "open_until": None, "probe_at": None}  # fmt: skip
        return _view(*self._change(credential, lambda row, now: dict(closed)))


def clock_now(conn: Connection) -> float:
    """Seconds since the epoch on the database's clock."""
    return float(conn.execute(sa.text(_CLOCK[conn.dialect.name])).scalar_one())


def _view(row: Row, now: float) -> BreakerView:
    probe_at = row["probe_at"]
    return BreakerView(
        BreakerState(row["breaker_state"]), row["failures"], row["opens"],
        max(0.0, (row["open_until"] or now) - now),
        None if probe_at is None else now - probe_at, row["last_failure"],
    )  # fmt: skip
