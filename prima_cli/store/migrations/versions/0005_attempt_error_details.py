"""Attempts keep their whole error (type, message, hint, HTTP status, platform message).

Revision ID: 0005_attempt_error_details
Revises: 0004_sync
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_attempt_error_details"
down_revision = "0004_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("platform_reservations") as batch:
        batch.add_column(sa.Column("error_details", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("platform_reservations") as batch:
        batch.drop_column("error_details")
