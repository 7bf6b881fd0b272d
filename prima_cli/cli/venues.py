"""`prima venues ...`"""

from __future__ import annotations

import typer

from prima_cli.cli import views
from prima_cli.cli.options import JSON, VENUE, YES, group
from prima_cli.cli.prompts import confirm
from prima_cli.cli.state import current

app = group("Add, list, show, edit and remove venues.")


@app.command("add")
def add(
    name: str = typer.Argument(..., help="The venue's display name."),
    slug: str | None = typer.Option(None, help="URL-safe identifier (derived from NAME)."),
    timezone: str = typer.Option("UTC", help="IANA time zone, e.g. Europe/Madrid."),
    country: str | None = typer.Option(
        None, help="ISO 3166 alpha-2 code; default region for guest phone numbers."
    ),
    json: bool = JSON,
) -> None:
    """Add a venue."""
    from prima_cli.core import venues

    state = current()
    out = state.use_json(json)
    info = venues.add(state.store(), name, slug=slug, timezone=timezone, country=country)
    if json:
        out.json(views.venue(info))
    else:
        out.success(f"added venue {info.slug} (id {info.id})")
        out.record(list(views.venue(info).items()))


@app.command("list")
def list_(json: bool = JSON) -> None:
    """List venues."""
    from prima_cli.core import venues

    state = current()
    out = state.use_json(json)
    found = venues.list_all(state.store())
    if json:
        out.json([views.venue(v) for v in found])
    else:
        out.table(views.VENUE_COLUMNS, [views.venue(v) for v in found], empty="no venues yet")


@app.command("show")
def show(venue: str = VENUE, json: bool = JSON) -> None:
    """Show one venue."""
    from prima_cli.core import venues

    state = current()
    out = state.use_json(json)
    info = venues.show(state.store(), venue)
    if json:
        out.json(views.venue(info))
    else:
        out.record(list(views.venue(info).items()))


@app.command("edit")
def edit(
    venue: str = VENUE,
    name: str | None = typer.Option(None, help="New name."),
    slug: str | None = typer.Option(None, help="New slug."),
    timezone: str | None = typer.Option(None, help="New IANA time zone."),
    country: str | None = typer.Option(None, help="New country code ('' clears it)."),
    json: bool = JSON,
) -> None:
    """Change a venue's name, slug, time zone or country."""
    from prima_cli.core import venues

    state = current()
    out = state.use_json(json)
    changes = venues.VenueChanges(name=name, slug=slug, timezone=timezone, country=country)
    info = venues.edit(state.store(), venue, changes)
    if json:
        out.json(views.venue(info))
    else:
        out.success(f"updated venue {info.slug}")
        out.record(list(views.venue(info).items()))


@app.command("remove")
def remove(
    venue: str = VENUE,
    yes: bool = YES,
    force: bool = typer.Option(False, "--force", help="Even with live bookings."),
    json: bool = JSON,
) -> None:
    """Remove a venue, its connections and bookings (refused with live bookings)."""
    from prima_cli.core import venues

    state = current()
    out = state.use_json(json)
    store = state.store()
    info = venues.show(store, venue)
    question = f"Remove venue {info.slug} and its {info.connections} connection(s)?"
    confirm(question, yes=yes)
    removed = venues.remove(store, str(info.id), force=force)
    if json:
        out.json({"removed": views.venue(removed)})
    else:
        out.success(f"removed venue {removed.slug} and {removed.connections} connection(s)")
