"""The last sync attempt of a connection apart from its last success: ``last_synced_at``
moved on every sync, failed ones included, so a connection failing for days looked fresh.

``last_sync_attempt_at`` takes the old value (it was the last attempt); for connections whose
last attempt failed, ``last_synced_at`` becomes the end of their newest successful sync in the
run history, or NULL when none is recorded.

Revision ID: 0008_sync_attempts
Revises: 0007_booking_state_machine
"""

import sqlalchemy as sa
from alembic import op

from prima_cli.store.types import UTCDateTime

revision = "0008_sync_attempts"
down_revision = "0007_booking_state_machine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("venue_platforms") as batch:
        batch.add_column(sa.Column("last_sync_attempt_at", UTCDateTime, nullable=True))
    op.execute(sa.text("UPDATE venue_platforms SET last_sync_attempt_at = last_synced_at"))
    op.execute(
        sa.text(
            "UPDATE venue_platforms SET last_synced_at = ("
            " SELECT MAX(r.finished_at) FROM sync_results r"
            " WHERE r.venue_platform_id = venue_platforms.id AND r.status = 'ok')"
            " WHERE last_sync_status = 'failed'"
        )
    )


def downgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE venue_platforms SET last_synced_at = last_sync_attempt_at"
            " WHERE last_sync_attempt_at IS NOT NULL"
        )
    )
    # never by copying the table: on SQLite, dropping the old copy would fire the ON DELETE
    # actions of the tables that refer to it (sync results, snapshots, attempts)
    with op.batch_alter_table("venue_platforms", recreate="never") as batch:
        batch.drop_column("last_sync_attempt_at")
