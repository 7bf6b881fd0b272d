"""Where a booking stands: its own module so that help texts and shell completion name every
status without loading the store (``booking_state`` holds the transitions between them)."""

from __future__ import annotations

from enum import StrEnum


class BookingStatus(StrEnum):
    """Where a booking stands, as the operator sees it."""

    PENDING = "pending"  #: written; being placed, or its placer stopped before any answer
    CONFIRMED = "confirmed"  #: a platform holds it (a table, or a request to accept)
    WAITLISTED = "waitlisted"  #: a platform holds it on its waiting list: no table
    #: no platform holds it yet, and prima places it again (the next sync, or the workers):
    #: an attempt proved never to have landed, and nothing else of it reached a platform
    QUEUED = "queued"
    REJECTED = "rejected"  #: no platform took it, and nothing places it again
    UNKNOWN = "unknown"  #: a platform may hold it: reconcile (or resolve) before anything else
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
