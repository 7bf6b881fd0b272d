"""Bookings carry a version: the process placing a booking claims it, attempt by attempt.

Revision ID: 0006_booking_version
Revises: 0005_attempt_error_details
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_booking_version"
down_revision = "0005_attempt_error_details"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(
            sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("version")
