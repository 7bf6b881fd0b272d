"""The legacy schema: venues with the CoverManager columns of the old system.

Revision ID: 0001_legacy_venues
"""

import sqlalchemy as sa
from alembic import op

from prima_cli.store.types import UTCDateTime

revision = "0001_legacy_venues"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("uses_covermanager", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("covermanager_id", sa.String(255), nullable=True),
        sa.Column(
            "covermanager_sync_enabled", sa.Boolean, nullable=False, server_default=sa.false()
        ),
        sa.Column("last_covermanager_sync", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("slug", name="uq_venues_slug"),
    )


def downgrade() -> None:
    op.drop_table("venues")
