"""venue_platforms, and every legacy CoverManager venue migrated into a connection.

Revision ID: 0002_venue_platforms
Revises: 0001_legacy_venues

The mapping keeps the operator's intent: ``is_enabled`` comes from
``covermanager_sync_enabled`` (the reference system forced it to true). The old system
used one global CoverManager key, so migrated connections reference it explicitly as
``env:COVERMANAGER_API_KEY`` (``prima doctor`` reports it when unset). The legacy
columns stay. Idempotent: a venue that already has a covermanager connection is skipped.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import context, op

from prima_cli.store.types import UTCDateTime

revision = "0002_venue_platforms"
down_revision = "0001_legacy_venues"
branch_labels = None
depends_on = None

LEGACY_KEY_REFERENCE = "env:COVERMANAGER_API_KEY"


def _note(message: str) -> None:
    notes = context.config.attributes.get("notes")
    if notes is not None:
        notes.append(message)


def upgrade() -> None:
    op.create_table(
        "venue_platforms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "venue_id",
            sa.Integer,
            sa.ForeignKey("venues.id", ondelete="CASCADE", name="fk_venue_platforms_venue"),
            nullable=False,
        ),
        sa.Column("platform_type", sa.String(50), nullable=False),
        sa.Column("is_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("priority", sa.Integer, nullable=False, server_default="1"),
        sa.Column("configuration", sa.JSON, nullable=False),
        sa.Column("last_synced_at", UTCDateTime(), nullable=True),
        sa.Column("last_sync_status", sa.String(20), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("venue_id", "platform_type", name="uq_venue_platform"),
    )
    op.create_index("ix_venue_platforms_venue_id", "venue_platforms", ["venue_id"])
    _migrate_legacy_covermanager()


def _migrate_legacy_covermanager() -> None:
    bind = op.get_bind()
    venues = sa.table(
        "venues",
        sa.column("id", sa.Integer),
        sa.column("slug", sa.String),
        sa.column("uses_covermanager", sa.Boolean),
        sa.column("covermanager_id", sa.String),
        sa.column("covermanager_sync_enabled", sa.Boolean),
        sa.column("last_covermanager_sync", UTCDateTime()),
    )
    platforms = sa.table(
        "venue_platforms",
        sa.column("venue_id", sa.Integer),
        sa.column("platform_type", sa.String),
        sa.column("is_enabled", sa.Boolean),
        sa.column("priority", sa.Integer),
        sa.column("configuration", sa.JSON),
        sa.column("last_synced_at", UTCDateTime()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    already = set(
        bind.execute(
            sa.select(platforms.c.venue_id).where(platforms.c.platform_type == "covermanager")
        ).scalars()
    )
    legacy = bind.execute(
        sa.select(venues).where(venues.c.uses_covermanager == sa.true()).order_by(venues.c.id)
    ).all()
    now = dt.datetime.now(dt.UTC)
    rows = []
    for venue in legacy:
        if venue.id in already:
            continue
        restaurant_id = (venue.covermanager_id or "").strip()
        if not restaurant_id:
            _note(
                f"venue {venue.slug}: uses_covermanager is set but covermanager_id is empty; "
                "no connection created"
            )
            continue
        rows.append(
            {
                "venue_id": venue.id,
                "platform_type": "covermanager",
                "is_enabled": bool(venue.covermanager_sync_enabled),
                "priority": 1,
                "configuration": {
                    "restaurant_id": restaurant_id,
                    "api_key": LEGACY_KEY_REFERENCE,
                },
                "last_synced_at": venue.last_covermanager_sync,
                "created_at": now,
                "updated_at": now,
            }
        )
    if rows:
        op.bulk_insert(platforms, rows)
        _note(
            f"migrated {len(rows)} legacy CoverManager venue(s) into covermanager connections "
            f"(api_key = {LEGACY_KEY_REFERENCE})"
        )


def downgrade() -> None:
    op.drop_index("ix_venue_platforms_venue_id", table_name="venue_platforms")
    op.drop_table("venue_platforms")
