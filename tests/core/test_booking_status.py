"""The booking status a booking's attempts imply (``derive_status``, a pure function), and the
transitions into and out of ``queued``."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from prima_cli.core.booking_state import (
    BOOKING_TRANSITIONS,
    LIVE_STATUSES,
    AttemptState,
    BookingStatus,
    derive_status,
)

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
AHEAD, PAST = NOW + dt.timedelta(days=3), NOW - dt.timedelta(minutes=1)
B, A = BookingStatus, AttemptState


def rows(*states: AttemptState, connection: int | None = 1) -> list[Any]:
    return [SimpleNamespace(state=s.value, status=None, venue_platform_id=connection)
            for s in states]  # fmt: skip


@pytest.mark.parametrize(
    ("states", "starts_at", "cancel", "expected"),
    [
        ((A.NOT_LANDED,), AHEAD, False, B.QUEUED),
        ((A.NOT_LANDED, A.FAILED), AHEAD, False, B.QUEUED),
        ((A.FAILED, A.NOT_LANDED, A.SKIPPED), AHEAD, False, B.QUEUED),
        ((A.NOT_LANDED,), PAST, False, B.REJECTED),  # its time passed: never placed
        ((A.NOT_LANDED,), AHEAD, True, B.REJECTED),  # a cancel was asked for
        ((A.NOT_LANDED, A.REJECTED), AHEAD, False, B.REJECTED),  # a platform refused it
        ((A.FAILED,), AHEAD, False, B.REJECTED),  # nothing proved it never landed
        ((A.NOT_LANDED, A.PENDING), AHEAD, False, B.PENDING),  # being placed again
        ((A.NOT_LANDED, A.UNKNOWN), AHEAD, False, B.UNKNOWN),
        ((A.NOT_LANDED, A.CONFIRMED), AHEAD, False, B.CONFIRMED),
        ((), AHEAD, False, B.PENDING),
    ],
)
def test_queued_exactly_when_the_outbox_places_it_again(
    states: tuple[AttemptState, ...], starts_at: dt.datetime, cancel: bool, expected: BookingStatus
) -> None:
    derived = derive_status(rows(*states), starts_at=starts_at, now=NOW, cancel_requested=cancel)
    assert derived == expected


def test_an_attempt_whose_connection_was_removed_places_nothing() -> None:
    """The outbox is per connection: once the only connection that was to place a booking
    is removed (its attempts' ``venue_platform_id`` set to NULL), nothing places it."""
    gone = rows(A.NOT_LANDED, connection=None)
    assert derive_status(gone, starts_at=AHEAD, now=NOW, cancel_requested=False) == B.REJECTED
    other = gone + rows(A.NOT_LANDED, connection=2)  # another connection still places it
    assert derive_status(other, starts_at=AHEAD, now=NOW, cancel_requested=False) == B.QUEUED


def test_queued_moves_where_the_outbox_and_the_operator_take_it() -> None:
    assert set(BOOKING_TRANSITIONS) == set(BookingStatus)
    for before in (B.PENDING, B.UNKNOWN, B.REJECTED):
        assert B.QUEUED in BOOKING_TRANSITIONS[before]
    assert BOOKING_TRANSITIONS[B.QUEUED] == {
        B.QUEUED, B.CONFIRMED, B.WAITLISTED, B.REJECTED, B.UNKNOWN, B.PENDING, B.CANCELLED
    }  # fmt: skip
    for settled in (B.CONFIRMED, B.WAITLISTED, B.NO_SHOW, B.CANCELLED):
        assert B.QUEUED not in BOOKING_TRANSITIONS[settled]
    assert B.QUEUED in LIVE_STATUSES  # it will hold a table: removal guards count it
