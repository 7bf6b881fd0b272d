"""`prima venues ...`"""

from __future__ import annotations

import typer

from prima_cli.cli.application import application
from prima_cli.cli.options import JSON, VENUE, YES, group, listing
from prima_cli.cli.prompts import confirm
from prima_cli.cli.views import venues as view

app = group("Add, list, show, edit and remove venues.")


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The venue's display name."),
    slug: str | None = typer.Option(None, help="URL-safe identifier (derived from NAME)."),
    timezone: str = typer.Option("UTC", help="IANA time zone, e.g. Europe/Madrid."),
    country: str | None = typer.Option(
        None, help="ISO 3166 alpha-2 code; default region for guest phone numbers."
    ),
    json: bool = JSON,
) -> int:
    """Add a venue."""
    from prima_cli.core import venues

    app_ = application(ctx)
    result = venues.add(app_.store(), name, slug=slug, timezone=timezone, country=country)
    return app_.render(result, view.ADDED, json=json)


@app.command("list")
@listing
def list_(
    ctx: typer.Context,
) -> int:
    """List venues."""
    from prima_cli.core import venues

    app_ = application(ctx)
    return app_.render(venues.list_all(app_.store()), view.VENUES)


@app.command("show")
def show(ctx: typer.Context, venue: str = VENUE, json: bool = JSON) -> int:
    """Show one venue."""
    from prima_cli.core import venues

    app_ = application(ctx)
    return app_.render(venues.show(app_.store(), venue), view.VENUE, json=json)


@app.command("edit")
def edit(
    ctx: typer.Context,
    venue: str = VENUE,
    name: str | None = typer.Option(None, help="New name."),
    slug: str | None = typer.Option(None, help="New slug."),
    timezone: str | None = typer.Option(None, help="New IANA time zone."),
    country: str | None = typer.Option(None, help="New country code ('' clears it)."),
    json: bool = JSON,
) -> int:
    """Change a venue's name, slug, time zone or country."""
    from prima_cli.core import venues

    app_ = application(ctx)
    changes = venues.VenueChanges(name=name, slug=slug, timezone=timezone, country=country)
    return app_.render(venues.edit(app_.store(), venue, changes), view.UPDATED, json=json)


@app.command("remove")
def remove(
    ctx: typer.Context,
    venue: str = VENUE,
    yes: bool = YES,
    force: bool = typer.Option(False, "--force", help="Even with live bookings."),
    json: bool = JSON,
) -> int:
    """Remove a venue, its connections and bookings (refused with live bookings)."""
    from prima_cli.core import venues

    app_ = application(ctx)
    store = app_.store()
    info = venues.show(store, venue).value
    question = f"Remove venue {info.slug} and its {info.connections} connection(s)?"
    confirm(app_.terminal, question, yes=yes)
    removed = venues.remove(store, str(info.id), force=force)
    return app_.render(removed, view.REMOVED, json=json)
