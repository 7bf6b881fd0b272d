"""Which connections a sync run takes: all of them under the store lock, or, for workers,
claims with leases so that several machines share one store (each connection is synced once
per window, and a crashed worker's lease expires)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prima_cli.core import targets as targets_core
from prima_cli.core.db_retry import when_free
from prima_cli.core.sync_values import SyncOptions
from prima_cli.store.types import utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.store import Store

#: claim rounds before a worker stops looking: each lost round means others took every row seen
CLAIM_ROUNDS = 100


def _query(session: Session, options: SyncOptions) -> Any:
    from prima_cli.core import venues as venues_core

    ids = [venues_core.find(session, ref).id for ref in options.venues]
    return targets_core.connections_query(venue_ids=ids, platform_type=options.platform_type)


def all_targets(store: Store, options: SyncOptions) -> list[targets_core.Target]:
    """Every enabled connection the options select (a run under the store lock)."""
    with store.session() as session:
        return targets_core.resolve(session.exec(_query(session, options)).all())


def claim(store: Store, options: SyncOptions, me: str, limit: int) -> list[targets_core.Target]:
    """Claim up to ``limit`` connections not yet synced in this window and not leased.

    Empty only when nothing is left to claim: where rows are not locked while read (SQLite,
    MariaDB), another worker can take every row this one looked at; it then looks again.
    """
    for _round in range(CLAIM_ROUNDS):
        looked, claimed = when_free(_claim_once, store, options, me, limit)
        if claimed or not looked:
            return claimed
    return []


class Claims:
    """A worker's connections, claimed a few at a time as its tasks ask for more, so that a
    long run keeps every task busy and leases are taken only just before the work."""

    def __init__(self, store: Store, options: SyncOptions, me: str) -> None:
        self.store, self.options, self.me = store, options, me
        self.claimed = 0

    def __iter__(self) -> Iterator[targets_core.Target]:
        while batch := claim(self.store, self.options, self.me, self.options.concurrency):
            self.claimed += len(batch)
            yield from batch


def _claim_once(
    store: Store, options: SyncOptions, me: str, limit: int
) -> tuple[int, list[targets_core.Target]]:
    """(how many due rows were seen, the targets this worker claimed among them)."""
    from sqlmodel import col, or_, update

    from prima_cli.store.models import VenuePlatform

    now = utcnow()
    epoch = int(now.timestamp())
    window_start = dt.datetime.fromtimestamp(epoch - epoch % options.window, dt.UTC)
    due = (  # attempted once per window: a failing platform is not retried by every claim
        or_(col(VenuePlatform.last_sync_attempt_at).is_(None),
            col(VenuePlatform.last_sync_attempt_at) < window_start),
        or_(col(VenuePlatform.lease_expires_at).is_(None),
            col(VenuePlatform.lease_expires_at) < now),
    )  # fmt: skip
    expires = now + dt.timedelta(seconds=options.lease)
    with store.session() as session:
        query = _query(session, options).where(*due).limit(limit)
        if store.engine.dialect.name == "postgresql":  # rows other workers hold are skipped
            query = query.with_for_update(skip_locked=True, of=VenuePlatform)
        rows = session.exec(query).all()
        claimed = []
        for row, venue in rows:
            # conditional, so that it is also safe where rows are not locked (SQLite, MariaDB)
            result = session.exec(  # type: ignore[call-overload]
                update(VenuePlatform)
                .where(col(VenuePlatform.id) == row.id, *due)
                .values(lease_owner=me, lease_expires_at=expires)
            )
            if result.rowcount == 1:
                claimed.append((row, venue))
        return len(rows), targets_core.resolve(claimed)
