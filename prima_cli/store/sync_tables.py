"""Sync runs, per-connection results and availability snapshots (revision 0004)."""

# No ``from __future__ import annotations``: SQLAlchemy and pydantic would evaluate every
# field's annotation from its text while building the table classes, at each start-up.

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from prima_cli.store.models import DEFER  # also registers venues and venue_platforms (FKs)
from prima_cli.store.types import UTCDateTime, utcnow


class SyncRun(SQLModel, table=True):
    """One `prima platforms sync` run (or one worker's pass)."""

    model_config = DEFER

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

    model_config = DEFER

    __tablename__ = "sync_results"
    #: a connection is synced once per run, also when a job engine runs its sync twice
    __table_args__ = (sa.Index("uq_sync_result", "run_id", "venue_platform_id", unique=True),)

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
    #: each step's own time (one platform request for auth and statuses; revision 0011)
    auth_ms: int | None = Field(default=None)
    availability_ms: int | None = Field(default=None)
    reconcile_ms: int | None = Field(default=None)
    statuses_ms: int | None = Field(default=None)
    finished_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AvailabilitySnapshot(SQLModel, table=True):
    """A connection's bookable times for one venue-local date, as the last sync saw them.

    ``slots`` maps party size (a string) to the sorted ``HH:MM`` times bookable for it.
    """

    model_config = DEFER

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
