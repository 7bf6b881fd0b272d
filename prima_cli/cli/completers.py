"""Dynamic shell completion: venue slugs, booking references and keys, platform types and
choice values. Static candidates load nothing heavy; store look-ups open the store named by
the command line's ``--db`` (or the environment), and any failure offers nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import typer


def _matching(values: Iterable[str], incomplete: str) -> list[str]:
    return [v for v in values if v.startswith(incomplete)]


def _from_store(ctx: Any, lookup: Callable[[Any, str], list[str]], incomplete: str) -> list[str]:
    try:
        from prima_cli.store.store import Store
        from prima_cli.store.url import resolve

        root = ctx.find_root() if ctx is not None else None
        db = root.params.get("db_url") if root is not None else None
        store = Store(resolve(db)[0])
        try:
            return lookup(store, incomplete)
        finally:
            store.dispose()
    except Exception:  # completion never fails: a missing or broken store has no candidates
        return []


def venues(ctx: typer.Context, incomplete: str) -> list[str]:
    """Venue slugs."""
    from prima_cli.core.lookups import venue_slugs

    return _from_store(ctx, venue_slugs, incomplete)


def bookings(ctx: typer.Context, incomplete: str) -> list[str]:
    """Booking references and idempotency keys."""
    from prima_cli.core.lookups import booking_keys

    return _from_store(ctx, booking_keys, incomplete)


def platform_types(incomplete: str) -> list[str]:
    """Installed platform types (entry points only: no adapter is imported)."""
    from prima_cli.platforms import registry

    return _matching(registry.type_names(), incomplete)


def booking_statuses(incomplete: str) -> list[str]:
    from prima_cli.core.booking_status import BookingStatus

    return _matching((s.value for s in BookingStatus), incomplete)


def cancel_reasons(incomplete: str) -> list[str]:
    from prima_cli.platforms.contract import CancelReason

    return _matching((r.value for r in CancelReason), incomplete.upper())


def shells(incomplete: str) -> list[str]:
    return _matching(("sh", "fish"), incomplete)


def formats(incomplete: str) -> list[str]:
    """The output formats of a listing."""
    from prima_cli.cli.formats import Format

    return _matching((f.value for f in Format), incomplete)
