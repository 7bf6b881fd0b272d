"""SQLModel tables. Schema changes are Alembic revisions in ``migrations/versions``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from prima_cli.store.types import UTCDateTime, utcnow


class Venue(SQLModel, table=True):
    __tablename__ = "venues"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=sa.String(200), nullable=False)
    slug: str = Field(sa_type=sa.String(100), nullable=False, unique=True)
    timezone: str = Field(default="UTC", sa_type=sa.String(64), nullable=False)
    country: str | None = Field(default=None, sa_type=sa.String(2))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Legacy CoverManager columns, kept for backward compatibility (revision 0001).
    uses_covermanager: bool = Field(default=False, nullable=False)
    covermanager_id: str | None = Field(default=None, sa_type=sa.String(255))
    covermanager_sync_enabled: bool = Field(default=False, nullable=False)
    last_covermanager_sync: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class VenuePlatform(SQLModel, table=True):
    """A venue's connection to one booking platform."""

    __tablename__ = "venue_platforms"
    __table_args__ = (sa.UniqueConstraint("venue_id", "platform_type", name="uq_venue_platform"),)

    id: int | None = Field(default=None, primary_key=True)
    venue_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("venues.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    platform_type: str = Field(sa_type=sa.String(50), nullable=False)
    is_enabled: bool = Field(default=True, nullable=False)
    priority: int = Field(default=1, nullable=False)
    configuration: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    last_synced_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_sync_status: str | None = Field(default=None, sa_type=sa.String(20))
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # worker leases (revision 0004): who syncs this connection now, and until when
    lease_owner: str | None = Field(default=None, sa_type=sa.String(120))
    lease_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Booking(SQLModel, table=True):
    """A guest's booking at a venue; written (as intent) before any platform is called."""

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


class PlatformReservation(SQLModel, table=True):
    """One attempt to place a booking on one platform, and what became of it."""

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
    attention: str | None = Field(default=None, sa_type=sa.Text)
    owner: str | None = Field(default=None, sa_type=sa.String(120))
    requested_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SyncRun(SQLModel, table=True):
    """One `prima platforms sync` run (or one worker's pass)."""

    __tablename__ = "sync_runs"

    id: int | None = Field(default=None, primary_key=True)
    trigger: str = Field(sa_type=sa.String(20), nullable=False)
    worker: str = Field(sa_type=sa.String(120), nullable=False)
    status: str = Field(sa_type=sa.String(20), nullable=False)
    options: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    counts: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    started_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class SyncResult(SQLModel, table=True):
    """What one run did for one connection."""

    __tablename__ = "sync_results"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False
        )
    )
    venue_platform_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("venue_platforms.id", ondelete="SET NULL"), nullable=True
        ),
    )
    venue_slug: str = Field(sa_type=sa.String(100), nullable=False)
    platform_type: str = Field(sa_type=sa.String(50), nullable=False)
    status: str = Field(sa_type=sa.String(20), nullable=False)
    steps: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    error_type: str | None = Field(default=None, sa_type=sa.String(60))
    error_message: str | None = Field(default=None, sa_type=sa.Text)
    duration_ms: int = Field(default=0, nullable=False)
    finished_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AvailabilitySnapshot(SQLModel, table=True):
    """A connection's bookable times for one venue-local date, as the last sync saw them.

    ``slots`` maps party size (a string) to the sorted ``HH:MM`` times bookable for it.
    """

    __tablename__ = "availability_snapshots"
    __table_args__ = (
        sa.UniqueConstraint("venue_platform_id", "local_date", name="uq_snapshot_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    venue_platform_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("venue_platforms.id", ondelete="CASCADE"), nullable=False
        )
    )
    local_date: dt.date = Field(nullable=False)
    slots: dict[str, list[str]] = Field(
        default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    fetched_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
