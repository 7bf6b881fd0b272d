"""What changing a connection does to the bookings made through it: the guards of
``platforms edit``, ``disable`` and ``remove``, and their warnings. Each works inside the
caller's transaction, so a refusal leaves nothing changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prima_cli.core import booking_records as rec
from prima_cli.core.phrases import named
from prima_cli.errors import Conflict

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.platforms.contract import PlatformAdapter
    from prima_cli.store.models import VenuePlatform


def locked(session: Session, connection_id: int, read: Mapping[str, Any] | None,
           name: str) -> VenuePlatform:  # fmt: skip
    """The connection, locked for the rest of the caller's transaction, which this must
    begin: its first statement is the write that takes the lock, so every read after it
    (MariaDB's repeatable-read snapshot included) sees the attempts of placements that held
    the connection before it (:func:`prima_cli.core.targets.current`), and no placement
    writes one on the settings being replaced until this transaction ends. ``read`` is the
    configuration the command decided on (read before it asked for input): changed since,
    the command is refused with nothing changed."""
    from sqlalchemy import update

    from prima_cli.errors import NotFound
    from prima_cli.store.models import VenuePlatform

    held = session.exec(  # type: ignore[call-overload]
        update(VenuePlatform)  # a write that changes nothing: only its lock is wanted
        .where(VenuePlatform.id == connection_id)  # type: ignore[arg-type]
        .values(updated_at=VenuePlatform.updated_at)
        .execution_options(synchronize_session=False)
    )
    row = session.get(VenuePlatform, connection_id) if held.rowcount == 1 else None
    if row is None:
        raise NotFound(f"the {name} connection was removed while this command ran")
    if read is not None and row.configuration != read:
        raise Conflict(f"the {name} connection was changed while this command ran; this "
                       "command changed nothing", hint="run it again")  # fmt: skip
    return row


def moving(session: Session, row: VenuePlatform, venue: str, adapter: type[PlatformAdapter],
           configuration: Mapping[str, Any], *, force: bool) -> list[str]:  # fmt: skip
    """Refuse a change of where the connection's reservations are (a ``locates`` key) while
    bookings a platform holds there are live, unless ``force``; the warnings of the change.

    prima reconciles, cancels and syncs a booking through the connection's current settings:
    a reconcile looking at another restaurant finds nothing, calls the attempt never landed,
    and the sync books the guest a second table there."""
    before, after = row.configuration, configuration
    moved = [
        f.name
        for f in adapter.config_fields
        if f.locates and before.get(f.name, f.default) != after.get(f.name, f.default)
    ]
    stranded = _held_through(session, row) if moved else []
    if not stranded:
        return []
    where = " and ".join(moved)
    if not force:
        raise Conflict(
            f"the {row.platform_type} connection of {venue} holds {len(stranded)} live "
            f"booking(s) made at its current {where}: {named(stranded)}",
            hint="prima reconciles, cancels and syncs them through these settings: settle them "
            "first (reconcile, cancel, or let them pass), or connect the new place to another "
            "venue; --force changes it anyway",
        )
    return [f"{len(stranded)} live booking(s) made at the old {where} are now reconciled, "
            f"cancelled and synced at the new one; check them on the platform by hand: "
            f"{named(stranded)}"]  # fmt: skip


def disabling(session: Session, row: VenuePlatform) -> list[str]:
    """The warning of disabling a connection that ``queued`` bookings wait for."""
    assert row.id is not None
    waiting = list(rec.queued_through(session, row.id).values())
    if not waiting:
        return []
    return [f"{len(waiting)} queued booking(s) wait for this connection to place them: "
            "nothing does while it is disabled, and each is rejected once its time passes: "
            f"{named(waiting)}"]  # fmt: skip


def removing(session: Session, row: VenuePlatform, venue: str, *, force: bool) -> list[str]:
    """Delete the connection; refused while it holds live bookings, unless ``force`` (their
    history stays, but they can then only be cancelled on the platform by hand). Forced, the
    ``queued`` bookings only this connection was to place become ``rejected`` in the same
    transaction, since nothing places them any more. The warnings of the removal."""
    from prima_cli.core.attempts import settle_queued

    assert row.id is not None
    references = rec.live_references(session, connection_id=row.id)
    if references and not force:
        raise Conflict(
            f"the {row.platform_type} connection of {venue} holds {len(references)} "
            "live booking(s)",
            hint="cancel them first, or disable the connection instead; --force removes it",
        )
    queued = rec.queued_through(session, row.id)
    session.delete(row)
    session.flush()
    session.expire_all()  # the database set their attempts' connection to NULL
    rejected = settle_queued(session, list(queued), "connection removed")
    held = [r for r in references if r not in queued.values()]  # queued: on no platform
    warnings = [rec.left_on_platform(held)] if held else []
    if rejected:
        warnings.append(f"{len(rejected)} queued booking(s) that only this connection was to "
                        f"place are now rejected: {named(rejected)}")  # fmt: skip
    return warnings


def _held_through(session: Session, row: VenuePlatform) -> list[str]:
    """Live bookings a platform holds (or may) through this connection; a ``queued`` one is
    on no platform yet, so the new place is where it will be made."""
    assert row.id is not None
    queued = set(rec.queued_through(session, row.id).values())
    return [r for r in rec.live_references(session, connection_id=row.id) if r not in queued]
