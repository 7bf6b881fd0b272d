"""Which connections a sync takes: every enabled connection the options select."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.core import targets as targets_core
from prima_cli.core.sync_values import SyncOptions

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.store.store import Store


def _query(session: Session, options: SyncOptions) -> Any:
    from prima_cli.core import venues as venues_core

    ids = [venues_core.find(session, ref).id for ref in options.venues]
    return targets_core.connections_query(
        venue_ids=ids, platform_type=options.platform_type, fields=True
    )


def all_targets(store: Store, options: SyncOptions) -> list[targets_core.Target]:
    """Every enabled connection the options select (read as rows of the columns a target
    needs: a sync loads thousands, and ORM objects cost more than the query)."""
    with store.session() as session:
        rows = session.connection().execute(_query(session, options)).all()
        return targets_core.resolve_fields(rows)


def one_target(store: Store, connection_id: int) -> targets_core.Target | None:
    """The connection as a sync target, or None once it is removed or disabled (a job
    queued before that no longer has anything to do)."""
    from sqlmodel import col

    from prima_cli.store.models import VenuePlatform

    with store.session() as session:
        query = targets_core.connections_query().where(col(VenuePlatform.id) == connection_id)
        found = targets_core.resolve(session.exec(query).all())
    return found[0] if found else None
