"""What shell completion offers from the store: venue slugs and booking references.

Completion must never fail or print: any problem with the store (none yet, not migrated,
unreachable) is no candidates at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prima_cli.store.store import Store

#: at most this many candidates (a shell lists them all)
LIMIT = 200


def venue_slugs(store: Store, prefix: str) -> list[str]:
    """Slugs of the venues that start with ``prefix``."""
    from sqlmodel import col, select

    from prima_cli.store.models import Venue

    with store.session() as session:
        query = select(Venue.slug).where(col(Venue.slug).startswith(prefix, autoescape=True))
        return sorted(session.exec(query.order_by(Venue.slug).limit(LIMIT)).all())


def booking_keys(store: Store, prefix: str) -> list[str]:
    """References (``PRM-...``) and idempotency keys that start with ``prefix``, of the
    bookings that start latest first."""
    from sqlmodel import col, or_, select

    from prima_cli.store.booking_tables import Booking

    with store.session() as session:
        query = (
            select(Booking.reference, Booking.idempotency_key)
            .where(
                or_(
                    col(Booking.reference).startswith(prefix, autoescape=True),
                    col(Booking.idempotency_key).startswith(prefix, autoescape=True),
                )
            )
            .order_by(col(Booking.starts_at).desc())
            .limit(LIMIT)
        )
        found: list[str] = []
        for reference, key in session.exec(query).all():
            found += [k for k in (reference, key) if k and k.startswith(prefix)]
        return found
