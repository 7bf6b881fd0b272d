"""`bookings list` reads page by page; the pages must join up exactly (ties on start time)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from prima_cli.core.bookings import BookingFilter, iter_bookings
from prima_cli.store.store import Store
from prima_cli.store.url import resolve
from tests.conftest import CLI


def test_keyset_pages_cover_every_row_once_in_order(migrated: CLI) -> None:
    migrated.ok("venues", "add", "Uno", "--slug", "uno")
    store = Store(resolve(None)[0])
    base = dt.datetime(2030, 1, 1, 20, 0, tzinfo=dt.UTC)
    from prima_cli.store.booking_tables import Booking

    rows = []
    for i in range(11):
        starts = base + dt.timedelta(minutes=15 * (i // 3))  # groups of three share a time
        rows.append({
            "reference": f"PRM-{i:02d}", "fingerprint": "f", "venue_id": 1,
            "local_date": starts.date(), "local_time": starts.time(), "timezone": "UTC",
            "starts_at": starts, "party_size": 2, "first_name": "A", "last_name": "B",
            "email": "a@b.co", "phone_e164": "+34612483907", "notes": "", "force": False,
            "status": "confirmed", "created_at": starts, "updated_at": starts,
        })  # fmt: skip
    with store.engine.begin() as conn:  # through the table's types, as prima writes them
        conn.execute(sa.insert(Booking.__table__), rows)  # type: ignore[attr-defined]
    every = [b.reference for b in iter_bookings(store, BookingFilter(limit=100), page_size=2)]
    assert every == [f"PRM-{i:02d}" for i in range(11)]
    limited = [b.reference for b in iter_bookings(store, BookingFilter(limit=5), page_size=2)]
    assert limited == every[:5]
    store.dispose()
    streamed = migrated.ok("bookings", "list", "--limit", "7", "--json").json()
    assert [b["reference"] for b in streamed] == every[:7]
    pretty = migrated.ok("bookings", "list", "--limit", "2", "--json", tty=True, no_color=True)
    assert [b["reference"] for b in pretty.json()] == every[:2]
    assert migrated.ok("bookings", "list", "--status", "cancelled", "--json").json() == []


def test_list_columns_are_the_record_fields() -> None:
    """`bookings list` builds its records from labelled columns (it is the 10,000-row path),
    so the selected columns must be the records' fields, by name."""
    import dataclasses

    from prima_cli.core import booking_records as rec
    from prima_cli.core.booking_queries import attempt_columns, booking_columns
    from prima_cli.store.booking_tables import Booking, PlatformReservation
    from prima_cli.store.models import Venue

    b, v = Booking.__table__.c, Venue.__table__.c  # type: ignore[attr-defined]
    r = PlatformReservation.__table__.c  # type: ignore[attr-defined]
    booking_fields = {f.name for f in dataclasses.fields(rec.BookingInfo)}
    assert {c.key for c in booking_columns(b, v)} == booking_fields - {"attempts", "events"}
    attempt_fields = [f.name for f in dataclasses.fields(rec.AttemptInfo)]
    assert sorted(c.key for c in attempt_columns(r)) == sorted(attempt_fields)
