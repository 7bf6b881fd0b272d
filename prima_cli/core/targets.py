"""Connections resolved for calling their adapters (shared by tests, availability, demo)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prima_cli.core import connections as connections_core
from prima_cli.errors import PrimaError

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.platforms.contract import Connection, PlatformAdapter
    from prima_cli.store.models import Venue, VenuePlatform


@dataclass(frozen=True)
class Target:
    """A connection ready to call, or the reason it cannot be called (bad plugin, secret)."""

    venue_slug: str
    platform_type: str
    priority: int
    connection_id: int
    adapter: type[PlatformAdapter] | None
    connection: Connection | None
    error: PrimaError | None


def connections_query(
    *,
    venue_ids: Sequence[int | None] = (),
    platform_type: str | None = None,
    enabled_only: bool = True,
) -> Any:
    """(VenuePlatform, Venue) rows, by venue slug then priority, optionally filtered."""
    from sqlmodel import col, select

    from prima_cli.store.models import Venue, VenuePlatform

    query = select(VenuePlatform, Venue).join(Venue, col(Venue.id) == col(VenuePlatform.venue_id))
    if enabled_only:
        query = query.where(col(VenuePlatform.is_enabled).is_(True))
    if venue_ids:
        query = query.where(col(VenuePlatform.venue_id).in_(list(venue_ids)))
    if platform_type:
        query = query.where(VenuePlatform.platform_type == platform_type)
    return query.order_by(col(Venue.slug), col(VenuePlatform.priority))


def for_connection(session: Session, connection_id: int | None) -> tuple[Target, bool] | None:
    """The target of a stored connection (even a disabled one) and whether it is enabled;
    None when the connection no longer exists."""
    from prima_cli.store.models import Venue, VenuePlatform

    row = session.get(VenuePlatform, connection_id) if connection_id is not None else None
    if row is None:
        return None
    venue = session.get(Venue, row.venue_id)
    assert venue is not None
    return resolve([(row, venue)])[0], row.is_enabled


def resolve(rows: Iterable[tuple[VenuePlatform, Venue]]) -> list[Target]:
    from prima_cli.platforms import registry

    targets = []
    for row, venue in rows:
        try:
            adapter = registry.get(row.platform_type)
            conn = connections_core.adapter_connection(adapter, row, venue)
        except PrimaError as err:
            targets.append(
                Target(venue.slug, row.platform_type, row.priority, row.id or 0, None, None, err)
            )
            continue
        targets.append(
            Target(venue.slug, row.platform_type, row.priority, row.id or 0, adapter, conn, None)
        )
    return targets
