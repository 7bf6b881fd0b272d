"""Column types that behave the same on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes stored as UTC; always read back with ``tzinfo=UTC``.

    PostgreSQL keeps the offset (timestamptz); SQLite and MariaDB store naive UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects import mysql  # only for MariaDB/MySQL stores

            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite without type detection
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        """One call per value where the common case allows it. The decorator's own processor
        chains the dialect's parser and ``process_result_value``; a 10,000-booking listing
        reads 60,000 of these values."""
        default = super().result_processor(dialect, coltype)
        if default is None:
            return None
        utc = dt.UTC
        if dialect.name == "sqlite":  # ISO text, naive UTC
            parse = dt.datetime.fromisoformat

            def from_text(value: Any) -> dt.datetime | None:
                if value.__class__ is str:
                    try:  # parsed with its offset: replace(tzinfo=) costs 7 times the parse
                        aware = parse(value + "+00:00")
                    except ValueError:  # a text that carries an offset of its own
                        aware = None
                    if aware is not None and aware.tzinfo is utc:  # not a date alone
                        return aware
                    return parse(value).replace(tzinfo=utc)
                return default(value)  # None, and whatever else SQLite's own parser accepts

            return from_text
        if dialect.name == "postgresql":  # aware, already in UTC (the session's time zone)

            def aware(value: Any) -> dt.datetime | None:
                if value is None or value.tzinfo is utc:
                    return value
                return default(value)

            return aware
        return default


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
