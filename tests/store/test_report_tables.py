"""The report's Core tables name real columns of the SQLModel tables, with the same types."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from prima_cli.store import report_tables
from prima_cli.store.booking_tables import Booking, PlatformReservation
from prima_cli.store.models import Venue, VenuePlatform
from prima_cli.store.sync_tables import SyncResult, SyncRun

MODELS = {m.__tablename__: m.__table__ for m in  # type: ignore[attr-defined]
          (Venue, VenuePlatform, Booking, PlatformReservation, SyncRun, SyncResult)}  # fmt: skip


@pytest.mark.parametrize("table", report_tables.TABLES, ids=lambda t: t.name)
def test_each_column_is_the_models(table: sa.Table) -> None:
    model = MODELS[table.name]
    for column in table.columns:
        assert column.name in model.columns, f"{table.name}.{column.name}"
        theirs = model.columns[column.name].type
        assert column.type.python_type is theirs.python_type, f"{table.name}.{column.name}"
