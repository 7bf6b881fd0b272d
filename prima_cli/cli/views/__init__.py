"""Declared JSON shapes and table columns per command (the ``--json`` contract).

Each function builds the documented keys explicitly, so renaming a column or a field
of a result value cannot silently change what scripts parse. README lists these keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from prima_cli.cli.output import Column

if TYPE_CHECKING:
    from prima_cli.core.venues import VenueInfo


def stored_error(
    details: Mapping[str, Any] | None, kind: str | None, message: str | None
) -> dict[str, Any] | None:
    """An error as recorded (whole, or only its type and message in older records), with the
    exit code and retryability its type stands for, as every JSON error carries them."""
    if not kind and not details:
        return None
    from prima_cli.errors import from_dict

    data: dict[str, Any] = dict(details) if details else {"type": kind, "message": message}
    typed = from_dict(data)
    data.setdefault("exit_code", int(typed.exit_code))
    data.setdefault("retryable", typed.retryable)
    return data


def venue(v: VenueInfo) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "slug": v.slug,
        "timezone": v.timezone,
        "country": v.country,
        "connections": v.connections,
        "created_at": v.created_at,
        "updated_at": v.updated_at,
    }


VENUE_COLUMNS = (
    Column("id", "ID", "right", identifier=True),
    Column("slug", "Slug", identifier=True),
    Column("name", "Name"),
    Column("timezone", "Time zone"),
    Column("country", "Country"),
    Column("connections", "Connections", "right"),
)
