"""Bookings and their platform attempts (revision 0003). Imported only by commands that
use them: building SQLModel classes is a real part of start-up time."""

# No ``from __future__ import annotations``: SQLAlchemy and pydantic would evaluate every
# field's annotation from its text while building the table classes, at each start-up.

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from prima_cli.store.models import DEFER  # also registers venues and venue_platforms (FKs)
from prima_cli.store.types import UTCDateTime, utcnow


class Booking(SQLModel, table=True):
    """A guest's booking at a venue; written (as intent) before any platform is called."""

    model_config = DEFER

    __tablename__ = "bookings"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_type=sa.String(40), nullable=False, unique=True)
    idempotency_key: str | None = Field(default=None, sa_type=sa.String(200), unique=True)
    fingerprint: str = Field(sa_type=sa.String(64), nullable=False)
    venue_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("venues.id", ondelete="CASCADE"), nullable=False
        )
    )
    local_date: dt.date = Field(nullable=False)
    local_time: dt.time = Field(nullable=False)
    timezone: str = Field(sa_type=sa.String(64), nullable=False)
    starts_at: dt.datetime = Field(sa_type=UTCDateTime, nullable=False)
    party_size: int = Field(nullable=False)
    first_name: str = Field(sa_type=sa.String(100), nullable=False)
    last_name: str = Field(sa_type=sa.String(100), nullable=False)
    email: str = Field(sa_type=sa.String(254), nullable=False)
    phone_e164: str = Field(sa_type=sa.String(20), nullable=False)
    notes: str = Field(default="", sa_type=sa.Text, nullable=False)
    force: bool = Field(default=False, nullable=False)
    requested_platform: str | None = Field(default=None, sa_type=sa.String(50))
    status: str = Field(sa_type=sa.String(20), nullable=False)
    status_detail: str | None = Field(default=None, sa_type=sa.Text)
    cancel_reason: str | None = Field(default=None, sa_type=sa.String(30))
    cancelled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    #: bumped by every transition (``core.booking_state.advance``), a compare-and-set: of
    #: two processes acting on one booking, the second to write changes nothing
    version: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    #: the process placing the booking (``host:pid``) and when it last claimed it; cleared
    #: when placing ends, so a set placer whose process is gone marks an orphaned intent
    placer: str | None = Field(default=None, sa_type=sa.String(120))
    placing_since: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: a cancel was asked for: set before any platform is called, so that a cancel whose
    #: answer was lost is finished by reconcile, and nothing places the booking again
    cancel_requested_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the report groups by, kept by every transition (``core.booking_facts.stamp``,
    # revision 0011) so that a report is GROUP BYs over one index, never a pass in Python.
    #: lunch or dinner, from the venue-local time
    service: str | None = Field(default=None, sa_type=sa.String(10))
    #: the platform of the latest attempt, its state and its normalised platform status
    platform_type: str | None = Field(default=None, sa_type=sa.String(50))
    attempt_state: str | None = Field(default=None, sa_type=sa.String(20))
    platform_status: str | None = Field(default=None, sa_type=sa.String(20))
    attempts: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    #: held on a platform other than the one its first attempt went to
    failover: bool = Field(
        default=False, nullable=False, sa_column_kwargs={"server_default": sa.false()}
    )
    #: milliseconds from the intent being written to the first confirmation
    confirm_ms: int | None = Field(default=None, sa_type=sa.BigInteger)


class PlatformReservation(SQLModel, table=True):
    """One attempt to place a booking on one platform, and what became of it."""

    model_config = DEFER

    __tablename__ = "platform_reservations"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False
        )
    )
    venue_platform_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("venue_platforms.id", ondelete="SET NULL"), nullable=True
        ),
    )
    platform_type: str = Field(sa_type=sa.String(50), nullable=False)
    attempt: int = Field(nullable=False)
    idempotency_key: str = Field(sa_type=sa.String(80), nullable=False, unique=True)
    state: str = Field(sa_type=sa.String(20), nullable=False)
    external_id: str | None = Field(default=None, sa_type=sa.String(100))
    raw_status: str | None = Field(default=None, sa_type=sa.String(40))
    status: str | None = Field(default=None, sa_type=sa.String(20))
    raw_response: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON, nullable=True)
    )
    error_type: str | None = Field(default=None, sa_type=sa.String(60))
    error_message: str | None = Field(default=None, sa_type=sa.Text)
    #: the whole error as ``PrimaError.to_dict()`` (hint, HTTP status, platform message)
    error_details: dict[str, Any] | None = Field(
        default=None, sa_column=sa.Column(sa.JSON, nullable=True)
    )
    attention: str | None = Field(default=None, sa_type=sa.Text)
    owner: str | None = Field(default=None, sa_type=sa.String(120))
    requested_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    #: the booking's venue and venue-local date, copied when the attempt is written (neither
    #: changes), so that placement figures are grouped without a join (revision 0011)
    venue_id: int | None = Field(default=None)
    local_date: dt.date | None = Field(default=None)


class BookingEvent(SQLModel, table=True):
    """One transition of a booking (the audit trail): who, when, what, and the status after."""

    model_config = DEFER

    __tablename__ = "booking_events"
    __table_args__ = (sa.Index("ix_booking_events_booking", "booking_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False
        )
    )
    version: int = Field(nullable=False)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(sa_type=sa.String(200), nullable=False)
    action: str = Field(sa_type=sa.String(40), nullable=False)
    status: str = Field(sa_type=sa.String(20), nullable=False)
    attempt: int | None = Field(default=None)
    note: str | None = Field(default=None, sa_type=sa.Text)
