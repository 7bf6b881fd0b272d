"""The booking state machine: who is placing a booking, a cancel's intent, attempts that
never landed as their own state, and an audit trail of every transition.

Revision ID: 0007_booking_state_machine
Revises: 0006_booking_version
"""

import sqlalchemy as sa
from alembic import op

from prima_cli.store.types import UTCDateTime

revision = "0007_booking_state_machine"
down_revision = "0006_booking_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("placer", sa.String(120), nullable=True))
        batch.add_column(sa.Column("placing_since", UTCDateTime, nullable=True))
        batch.add_column(sa.Column("cancel_requested_at", UTCDateTime, nullable=True))
    # an attempt that reconciliation proved never landed had state 'rejected' and a message
    # saying so; it is a state of its own now
    op.execute(
        sa.text(
            "UPDATE platform_reservations SET state = 'not_landed' "
            "WHERE state = 'rejected' AND error_message LIKE '%never landed%'"
        )
    )
    op.create_table(
        "booking_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "booking_id",
            sa.Integer,
            sa.ForeignKey("bookings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_booking_events_booking", "booking_events", ["booking_id", "version"])


def downgrade() -> None:
    op.drop_index("ix_booking_events_booking", table_name="booking_events")
    op.drop_table("booking_events")
    op.execute(
        sa.text("UPDATE platform_reservations SET state = 'rejected' WHERE state = 'not_landed'")
    )
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("cancel_requested_at")
        batch.drop_column("placing_since")
        batch.drop_column("placer")
