"""The distributed sync moves onto the job engine (procrastinate): the home-made worker
leases go, and a run holds at most one result per connection (a job run again after a
stall must not record a second one).

The engine's own tables are not part of this revision: `prima db migrate` applies them on
PostgreSQL through the engine's schema API (``store/job_schema.py``), so installing the
``workers`` extra later still gets them.

Revision ID: 0012_job_engine
Revises: 0008_sync_attempts
"""

import sqlalchemy as sa
from alembic import op

from prima_cli.store.types import UTCDateTime

revision = "0012_job_engine"
down_revision = "0008_sync_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # never by copying the table: on SQLite, dropping the old copy would fire the ON DELETE
    # actions of the tables that refer to it (sync results, snapshots, attempts)
    with op.batch_alter_table("venue_platforms", recreate="never") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
    op.create_index("uq_sync_result", "sync_results", ["run_id", "venue_platform_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_sync_result", table_name="sync_results")
    with op.batch_alter_table("venue_platforms", recreate="never") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(120), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", UTCDateTime(), nullable=True))
