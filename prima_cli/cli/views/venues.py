"""How venues look: one venue as a record, the list as a table, and their JSON."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from prima_cli.cli.render import View
from prima_cli.cli.views import VENUE_COLUMNS, venue

if TYPE_CHECKING:
    from prima_cli.core.venues import VenueInfo


def _fields(v: VenueInfo) -> list[tuple[str, Any]]:
    return list(venue(v).items())


VENUE: View[VenueInfo] = View(json=venue, record=_fields)
ADDED = replace(VENUE, message=lambda v: f"added venue {v.slug} (id {v.id})")
UPDATED = replace(VENUE, message=lambda v: f"updated venue {v.slug}")
REMOVED: View[VenueInfo] = View(
    json=lambda v: {"removed": venue(v)},
    message=lambda v: f"removed venue {v.slug} and {v.connections} connection(s)",
)
VENUES: View[list[VenueInfo]] = View(
    json=venue, columns=VENUE_COLUMNS, row=venue, empty="no venues yet"
)
