"""Credentials of a run: one credentials check per credential, and their shared state.

Connections of many venues may share one API key (one CoverManager key for a whole group).
A run asks the platform to check that key once (:meth:`CredentialChecks.check`); each
connection's own check -- is its restaurant among the key's? -- is read from that answer.
:func:`states` says, per credential, how many connections use it, its budget and its circuit
breaker, for ``platforms test`` and ``doctor`` (the key itself is never shown: only the first
digits of its hash).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.platforms.credential import credential_of, digest_of
from prima_cli.platforms.http.ledger import BreakerState

if TYPE_CHECKING:
    from prima_cli.core.targets import Target
    from prima_cli.platforms.contract import AuthCheck, Connection, PlatformAdapter
    from prima_cli.store.store import Store


class CredentialChecks:
    """The credentials checks of one run: nothing asked twice."""

    def __init__(self) -> None:
        self._shared: dict[str, asyncio.Future[Any]] = {}

    async def check(self, adapter: PlatformAdapter, connection: Connection) -> AuthCheck:
        """``adapter.check_auth``, or for adapters that share their check, the answer of
        the credential's one ``check_credential`` read by ``auth_from`` (its errors too)."""
        if not adapter.shares_credential_check:
            return await adapter.check_auth(connection)
        digest = digest_of(type(adapter), connection)
        shared = self._shared.get(digest)
        if shared is None:
            shared = asyncio.ensure_future(adapter.check_credential(connection))
            self._shared[digest] = shared
        # shielded: one connection giving up must not cancel the others' answer
        return adapter.auth_from(connection, await asyncio.shield(shared))


@dataclass(frozen=True)
class CredentialState:
    """One credential as ``platforms test`` and ``doctor`` show it."""

    credential: str  # platform type and hash prefix, never the key
    platform_type: str
    connections: int
    rate_limit: str
    breaker: BreakerState
    failures: int
    open_for_s: float
    last_failure: str | None


def states(store: Store, targets: Iterable[Target]) -> list[CredentialState]:
    """The credentials of ``targets`` with their stored breakers (closed when never used)."""
    import sqlalchemy as sa

    from prima_cli.core.credential_ledger import clock_now

    found: dict[str, list[Any]] = {}
    for target in targets:
        if target.adapter is None or target.connection is None:
            continue
        credential = credential_of(target.adapter, target.connection)
        entry = found.setdefault(credential.key, [credential, 0])
        entry[1] += 1
        if credential.rate < entry[0].rate:  # the strictest budget is the one spent
            entry[0] = credential
    if not found:
        return []
    with store.engine.connect() as conn:
        now = clock_now(conn)
        rows = {
            row.credential: row
            for row in conn.execute(
                sa.text("SELECT credential, breaker_state, failures, open_until, last_failure "
                        "FROM platform_credentials WHERE credential IN :keys")
                .bindparams(sa.bindparam("keys", expanding=True)),
                {"keys": list(found)},
            )
        }  # fmt: skip
    result = []
    for key, (credential, count) in sorted(found.items()):
        row = rows.get(key)
        state = BreakerState(row.breaker_state) if row else BreakerState.CLOSED
        open_for = max(0.0, (row.open_until or now) - now) if row else 0.0
        result.append(
            CredentialState(key, credential.platform_type, count, str(credential.rate), state,
                            row.failures if row else 0, round(open_for, 1),
                            row.last_failure if row else None)
        )  # fmt: skip
    return result


def breaker_summary(store: Store) -> tuple[bool, str]:
    """For ``doctor``: whether no credential of an enabled connection has its breaker open,
    and a line naming each credential that has (hash prefix only)."""
    from prima_cli.core.targets import connections_query, resolve

    with store.session() as session:
        targets = resolve(session.exec(connections_query()).all())
    found = states(store, targets)
    troubled = [s for s in found if s.breaker is not BreakerState.CLOSED]
    if not troubled:
        return True, f"{len(found)} credential(s), every circuit breaker closed"
    shown = ", ".join(
        f"{s.credential} {s.breaker.value.replace('_', '-')}"
        + (f" for {s.open_for_s:.0f} s more" if s.open_for_s else "")
        for s in troubled
    )
    return False, f"{len(troubled)} of {len(found)} credential(s) paused: {shown}"
