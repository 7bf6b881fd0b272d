"""SQLModel tables. Schema changes are Alembic revisions in ``migrations/versions``."""

# No ``from __future__ import annotations``: SQLAlchemy and pydantic would evaluate every
# field's annotation from its text while building the table classes, at each start-up.

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from prima_cli.store.types import UTCDateTime, utcnow

#: table models are never validated (SQLModel skips it for table=True), so pydantic need not
#: build their validators at import time: that was a measurable part of every command's start-up
DEFER: Any = {"defer_build": True}


class Venue(SQLModel, table=True):
    model_config = DEFER
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

    model_config = DEFER

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
    #: when the last successful sync ended; the last attempt, whatever its outcome, is
    #: ``last_sync_attempt_at`` with ``last_sync_status`` and ``last_error`` (revision 0008)
    last_synced_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_sync_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_sync_status: str | None = Field(default=None, sa_type=sa.String(20))
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
