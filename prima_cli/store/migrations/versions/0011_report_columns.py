"""What `prima report` groups by, stored where it is written: each booking's service, the
platform and state of its latest attempt, its attempt count, failover and time to confirm;
each attempt's venue and venue-local date; each sync step's time. Existing rows are filled in
from what the store holds (the time to confirm from the audit trail).

Revision ID: 0011_report_columns
Revises: 0012_job_engine
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0011_report_columns"
down_revision = "0012_job_engine"
branch_labels = None
depends_on = None

# the rule of prima_cli.core.booking_facts, as it stood when this revision was written
LUNCH_FROM, DINNER_FROM = dt.time(6, 0), dt.time(17, 0)
STEP_COLUMNS = ("auth_ms", "availability_ms", "reconcile_ms", "statuses_ms")
BATCH = 2_000


def upgrade() -> None:
    # columns are added in place, never by copying a table: on SQLite, dropping the old copy
    # would fire the ON DELETE actions of the tables that refer to it (attempts, events)
    with op.batch_alter_table("bookings", recreate="never") as batch:
        batch.add_column(sa.Column("service", sa.String(10), nullable=True))
        batch.add_column(sa.Column("platform_type", sa.String(50), nullable=True))
        batch.add_column(sa.Column("attempt_state", sa.String(20), nullable=True))
        batch.add_column(sa.Column("platform_status", sa.String(20), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("failover", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("confirm_ms", sa.BigInteger, nullable=True))
    with op.batch_alter_table("platform_reservations", recreate="never") as batch:
        batch.add_column(sa.Column("venue_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("local_date", sa.Date, nullable=True))
    with op.batch_alter_table("sync_results", recreate="never") as batch:
        for name in STEP_COLUMNS:
            batch.add_column(sa.Column(name, sa.Integer, nullable=True))
    _backfill()
    # covering indexes, each in the order of one report query's GROUP BY with the venue-local
    # date after the grouped columns: the database reads the index alone (skipping through it
    # by the date range) and aggregates as it goes, without sorting or reading the wide rows.
    # No index leads with the date: SQLite's planner would take that range and sort.
    op.create_index(
        "ix_bookings_report_load",
        "bookings",
        ["venue_id", "platform_type", "service", "status", "local_date", "party_size"],
    )
    op.create_index(
        "ix_bookings_report_mix",
        "bookings",
        [
            "venue_id",
            "platform_type",
            "status",
            "attempt_state",
            "platform_status",
            "cancel_reason",
            "attempts",
            "failover",
            "local_date",
        ],
    )
    op.create_index(
        "ix_bookings_report_confirm",
        "bookings",
        ["platform_type", "confirm_ms", "local_date", "venue_id"],
    )
    op.create_index(
        "ix_reservations_report",
        "platform_reservations",
        ["venue_id", "platform_type", "state", "error_type", "local_date"],
    )
    op.create_index("ix_sync_results_finished", "sync_results", ["finished_at"])
    # the attention queue: attempts an operator must look at are few among many
    flagged = sa.text("attention IS NOT NULL")
    op.create_index(
        "ix_reservations_flagged",
        "platform_reservations",
        ["booking_id"],
        sqlite_where=flagged,
        postgresql_where=flagged,
    )


def _backfill() -> None:
    b = sa.table(
        "bookings",
        sa.column("id", sa.Integer),
        sa.column("venue_id", sa.Integer),
        sa.column("local_date", sa.Date),
        sa.column("local_time", sa.Time),
        sa.column("service", sa.String),
        sa.column("platform_type", sa.String),
        sa.column("attempt_state", sa.String),
        sa.column("platform_status", sa.String),
        sa.column("attempts", sa.Integer),
        sa.column("failover", sa.Boolean),
    )
    p = sa.table(
        "platform_reservations",
        sa.column("booking_id", sa.Integer),
        sa.column("attempt", sa.Integer),
        sa.column("platform_type", sa.String),
        sa.column("state", sa.String),
        sa.column("status", sa.String),
        sa.column("venue_id", sa.Integer),
        sa.column("local_date", sa.Date),
    )
    first, last = p.alias("first_attempt"), p.alias("last_attempt")
    top = (
        sa.select(sa.func.max(last.c.attempt))
        .where(last.c.booking_id == b.c.id)
        .correlate(b)  # two levels down: SQLAlchemy would otherwise add bookings to its FROM
    )

    def latest(column: str) -> sa.ScalarSelect[object]:
        return (
            sa.select(p.c[column])
            .where(p.c.booking_id == b.c.id, p.c.attempt == top.scalar_subquery())
            .scalar_subquery()
        )

    lunch = sa.and_(
        b.c.local_time >= sa.bindparam("lunch_from", LUNCH_FROM, type_=sa.Time),
        b.c.local_time < sa.bindparam("dinner_from", DINNER_FROM, type_=sa.Time),
    )
    op.execute(
        b.update().values(
            service=sa.case((lunch, "lunch"), else_="dinner"),
            platform_type=latest("platform_type"),
            attempt_state=latest("state"),
            platform_status=latest("status"),
            attempts=sa.select(sa.func.count())
            .select_from(p)
            .where(p.c.booking_id == b.c.id)
            .scalar_subquery(),
        )
    )
    moved = sa.exists().where(
        first.c.booking_id == b.c.id,
        first.c.attempt == 1,
        first.c.platform_type != b.c.platform_type,
    )
    op.execute(
        b.update()
        .where(b.c.attempt_state.in_(("confirmed", "cancelled")), moved)
        .values(failover=sa.true())
    )
    op.execute(
        p.update().values(
            venue_id=sa.select(b.c.venue_id).where(b.c.id == p.c.booking_id).scalar_subquery(),
            local_date=sa.select(b.c.local_date).where(b.c.id == p.c.booking_id).scalar_subquery(),
        )
    )
    _backfill_confirm_ms()


def _backfill_confirm_ms() -> None:
    """The first confirmation in each booking's audit trail, less its creation."""
    from prima_cli.store.types import UTCDateTime

    e = sa.table(
        "booking_events",
        sa.column("booking_id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("at", UTCDateTime()),
    )
    b = sa.table(
        "bookings",
        sa.column("id", sa.Integer),
        sa.column("created_at", UTCDateTime()),
        sa.column("confirm_ms", sa.BigInteger),
    )
    conn = op.get_bind()
    firsts = (
        sa.select(e.c.booking_id, sa.func.min(e.c.at).label("at"))
        .where(e.c.status == "confirmed")
        .group_by(e.c.booking_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(b.c.id, b.c.created_at, sa.type_coerce(firsts.c.at, UTCDateTime())).join(
            firsts, firsts.c.booking_id == b.c.id
        )
    ).all()
    values = [
        {"row_id": r[0], "ms": max(0, round((r[2] - r[1]).total_seconds() * 1000))}
        for r in rows
        if r[1] is not None and r[2] is not None
    ]
    statement = (
        b.update().where(b.c.id == sa.bindparam("row_id")).values(confirm_ms=sa.bindparam("ms"))
    )
    for start in range(0, len(values), BATCH):
        conn.execute(statement, values[start : start + BATCH])


def downgrade() -> None:
    op.drop_index("ix_reservations_flagged", table_name="platform_reservations")
    op.drop_index("ix_sync_results_finished", table_name="sync_results")
    op.drop_index("ix_reservations_report", table_name="platform_reservations")
    for name in ("ix_bookings_report_confirm", "ix_bookings_report_mix", "ix_bookings_report_load"):
        op.drop_index(name, table_name="bookings")
    # never by copying a table: on SQLite, dropping the old copy would fire the ON DELETE
    # actions of the tables that refer to it
    with op.batch_alter_table("sync_results", recreate="never") as batch:
        for name in STEP_COLUMNS:
            batch.drop_column(name)
    with op.batch_alter_table("platform_reservations", recreate="never") as batch:
        batch.drop_column("local_date")
        batch.drop_column("venue_id")
    with op.batch_alter_table("bookings", recreate="never") as batch:
        for name in (
            "confirm_ms",
            "failover",
            "attempts",
            "platform_status",
            "attempt_state",
            "platform_type",
            "service",
        ):
            batch.drop_column(name)
