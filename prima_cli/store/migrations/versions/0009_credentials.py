"""Credentials as prima spends them: a request budget and a circuit breaker per credential.

One row per credential (platform type + a hash of its key and base URL; never the key):
``budget_tat`` is the budget's next free slot and ``open_until``/``probe_at`` the breaker's
times, all seconds on the database's clock, so every process on the store shares them.

Revision ID: 0009_credentials
Revises: 0011_report_columns (relinked after the job engine and the report columns landed)
"""

import sqlalchemy as sa
from alembic import op

from prima_cli.store.types import UTCDateTime

revision = "0009_credentials"
down_revision = "0011_report_columns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_credentials",
        sa.Column("credential", sa.String(80), primary_key=True),
        sa.Column("platform_type", sa.String(50), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("budget_tat", sa.Double, nullable=False, server_default="0"),
        sa.Column("breaker_state", sa.String(10), nullable=False, server_default="closed"),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("opens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("open_until", sa.Double, nullable=True),
        sa.Column("probe_at", sa.Double, nullable=True),
        sa.Column("last_failure", sa.Text, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("platform_credentials")
