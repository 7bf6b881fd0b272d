"""Sync: run records, per-connection results, availability snapshots, worker leases.

Revision ID: 0004_sync
Revises: 0003_bookings
"""

import sqlalchemy as sa
from alembic import op

from prima_cli.store.types import UTCDateTime

revision = "0004_sync"
down_revision = "0003_bookings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("worker", sa.String(120), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_sync_runs_started", "sync_runs", ["started_at"])
    op.create_table(
        "sync_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "run_id",
            sa.Integer,
            sa.ForeignKey("sync_runs.id", ondelete="CASCADE", name="fk_sync_results_run"),
            nullable=False,
        ),
        sa.Column(
            "venue_platform_id",
            sa.Integer,
            sa.ForeignKey(
                "venue_platforms.id", ondelete="SET NULL", name="fk_sync_results_connection"
            ),
            nullable=True,
        ),
        sa.Column("venue_slug", sa.String(100), nullable=False),
        sa.Column("platform_type", sa.String(50), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("error_type", sa.String(60), nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_sync_results_run", "sync_results", ["run_id"])
    op.create_index("ix_sync_results_connection", "sync_results", ["venue_platform_id"])
    op.create_table(
        "availability_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "venue_platform_id",
            sa.Integer,
            sa.ForeignKey("venue_platforms.id", ondelete="CASCADE", name="fk_snapshots_connection"),
            nullable=False,
        ),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("slots", sa.JSON, nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("venue_platform_id", "local_date", name="uq_snapshot_day"),
    )
    with op.batch_alter_table("venue_platforms") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(120), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("venue_platforms") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
    op.drop_table("availability_snapshots")
    op.drop_table("sync_results")
    op.drop_table("sync_runs")
