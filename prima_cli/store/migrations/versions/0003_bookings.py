"""bookings and platform_reservations (one row per booking per platform attempt).

Revision ID: 0003_bookings
Revises: 0002_venue_platforms
"""

import sqlalchemy as sa
from alembic import op

from prima_cli.store.types import UTCDateTime

revision = "0003_bookings"
down_revision = "0002_venue_platforms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column(
            "venue_id",
            sa.Integer,
            sa.ForeignKey("venues.id", ondelete="CASCADE", name="fk_bookings_venue"),
            nullable=False,
        ),
        sa.Column("local_date", sa.Date, nullable=False),
        sa.Column("local_time", sa.Time, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("party_size", sa.Integer, nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone_e164", sa.String(20), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("force", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("requested_platform", sa.String(50), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_detail", sa.Text, nullable=True),
        sa.Column("cancel_reason", sa.String(30), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("reference", name="uq_bookings_reference"),
        sa.UniqueConstraint("idempotency_key", name="uq_bookings_idempotency_key"),
    )
    op.create_index("ix_bookings_venue_starts", "bookings", ["venue_id", "starts_at"])
    op.create_index("ix_bookings_status_starts", "bookings", ["status", "starts_at"])
    op.create_index("ix_bookings_starts_at", "bookings", ["starts_at"])
    op.create_table(
        "platform_reservations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "booking_id",
            sa.Integer,
            sa.ForeignKey("bookings.id", ondelete="CASCADE", name="fk_reservations_booking"),
            nullable=False,
        ),
        sa.Column(
            "venue_platform_id",
            sa.Integer,
            sa.ForeignKey(
                "venue_platforms.id", ondelete="SET NULL", name="fk_reservations_connection"
            ),
            nullable=True,
        ),
        sa.Column("platform_type", sa.String(50), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("idempotency_key", sa.String(80), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("raw_status", sa.String(40), nullable=True),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("raw_response", sa.JSON, nullable=True),
        sa.Column("error_type", sa.String(60), nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("attention", sa.Text, nullable=True),
        sa.Column("owner", sa.String(120), nullable=True),
        sa.Column("requested_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_reservations_idempotency_key"),
        sa.UniqueConstraint("booking_id", "attempt", name="uq_reservations_booking_attempt"),
    )
    op.create_index("ix_reservations_booking", "platform_reservations", ["booking_id"])
    op.create_index("ix_reservations_connection", "platform_reservations", ["venue_platform_id"])
    op.create_index(
        "ix_reservations_external", "platform_reservations", ["platform_type", "external_id"]
    )
    op.create_index("ix_reservations_state", "platform_reservations", ["state"])


def downgrade() -> None:
    op.drop_table("platform_reservations")
    op.drop_table("bookings")
