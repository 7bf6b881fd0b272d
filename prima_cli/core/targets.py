"""Connections resolved for calling their adapters (shared by tests, availability, demo)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from prima_cli.core import secrets
from prima_cli.errors import Conflict, PrimaError

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.platforms.contract import Connection, PlatformAdapter


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
    #: the stored configuration it was resolved from (:func:`settings_of`)
    settings: str = ""


def connections_query(
    *,
    venue_ids: Sequence[int | None] = (),
    platform_type: str | None = None,
    enabled_only: bool = True,
    fields: bool = False,
) -> Any:
    """(VenuePlatform, Venue) rows, by venue slug then priority, optionally filtered; with
    ``fields``, rows of the columns :func:`resolve` reads instead (Core: no ORM objects),
    for :func:`resolve_fields`."""
    from sqlmodel import col, select

    from prima_cli.store.models import Venue, VenuePlatform

    entities: tuple[Any, ...] = (VenuePlatform, Venue)
    if fields:
        c, v = VenuePlatform.__table__.c, Venue.__table__.c  # type: ignore[attr-defined]
        entities = (c.id, c.platform_type, c.priority, c.configuration, v.slug, v.timezone,
                    v.country)  # fmt: skip
    query = select(*entities).join(Venue, col(Venue.id) == col(VenuePlatform.venue_id))
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


def resolve_fields(rows: Iterable[Any]) -> list[Target]:
    """:func:`resolve` for rows of ``connections_query(fields=True)``."""
    return resolve((row, row) for row in rows)


def resolve(rows: Iterable[tuple[ConnectionFields, VenueFields]]) -> list[Target]:
    from prima_cli.platforms import registry

    targets = []
    for row, venue in rows:
        try:
            adapter = registry.get(row.platform_type)
            conn = adapter_connection(adapter, row, venue)
        except PrimaError as err:
            targets.append(Target(venue.slug, row.platform_type, row.priority, row.id or 0,
                                  None, None, err, settings_of(row.configuration)))  # fmt: skip
            continue
        targets.append(Target(venue.slug, row.platform_type, row.priority, row.id or 0,
                              adapter, conn, None, settings_of(row.configuration)))  # fmt: skip
    return targets


def settings_of(configuration: Mapping[str, Any] | None) -> str:
    """A stored configuration as one comparable string."""
    import json

    return json.dumps(configuration or {}, sort_keys=True, default=str)


def current(session: Session, target: Target) -> Target | None:
    """``target`` as its connection stands now, inside the caller's transaction (None when
    the connection was removed), and held so until that transaction ends.

    A placement resolves its targets, asks for availability, and only then writes the
    ``pending`` attempt that makes the booking live on the connection. An edit committed
    in between finds nothing live there, so its guard lets a move through: the create must
    then go where the connection now says, or it books the old place and is tracked through
    the new one. The row is read with a shared lock (PostgreSQL, MariaDB; on SQLite the
    caller's write already holds the database's lock), which an edit takes before its
    guard reads: the edit waits for this transaction, then sees its ``pending`` attempt.
    Disabled meanwhile, the target is one that cannot be used: the disable told the
    operator which queued bookings nothing places now, and one of them placed after all
    would be a second table for a guest booked by hand."""
    from sqlmodel import select

    from prima_cli.store.models import Venue, VenuePlatform

    row = session.exec(
        select(VenuePlatform)
        .where(VenuePlatform.id == target.connection_id)
        .with_for_update(read=True)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        return None
    if not row.is_enabled:  # a disabled connection places nothing (its disable said so)
        off = Conflict(f"the {row.platform_type} connection was disabled")
        return dataclasses.replace(target, adapter=None, connection=None, error=off)
    if settings_of(row.configuration) == target.settings:
        return target
    venue = session.get(Venue, row.venue_id)
    assert venue is not None
    (fresh,) = resolve([(row, venue)])
    return fresh


# --- adapter view ----------------------------------------------------------------------


class ConnectionFields(Protocol):
    """What :func:`resolve` reads of a stored connection: a ``VenuePlatform``, or
    a row of those columns (a sync loads a thousand targets without ORM objects)."""

    @property
    def id(self) -> int | None: ...
    @property
    def platform_type(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def configuration(self) -> Mapping[str, Any] | None: ...


class VenueFields(Protocol):
    """What :func:`resolve` reads of a venue: a ``Venue`` or a row of those columns."""

    @property
    def slug(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def country(self) -> str | None: ...


def adapter_connection(
    adapter: type[PlatformAdapter], row: ConnectionFields, venue: VenueFields
) -> Connection:
    """The connection as an adapter sees it: defaults applied, secrets resolved."""
    from prima_cli.platforms.contract import Connection

    where = f"{venue.slug}/{row.platform_type}"
    stored = dict(row.configuration or {})
    config: dict[str, str] = {}
    for spec in adapter.config_fields:
        value = stored.get(spec.name, spec.default)
        if value is None:
            continue
        value = str(value)
        config[spec.name] = secrets.resolve(spec.name, value, where=where) if spec.secret else value
    for key, value in stored.items():  # extra keys of adapters that allow them
        config.setdefault(key, str(value))
    return Connection(
        platform_type=row.platform_type,
        config=config,
        venue_slug=venue.slug,
        timezone=venue.timezone,
        country=venue.country,
        connection_id=row.id,
    )
