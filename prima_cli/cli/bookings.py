"""`prima bookings ...`: availability, create, cancel, list, show, resolve, reconcile."""

from __future__ import annotations

import typer

from prima_cli.cli import completers
from prima_cli.cli.application import application
from prima_cli.cli.options import JSON, OFFSET, VENUE, VENUE_FILTER, group, listing
from prima_cli.cli.views import bookings as view
from prima_cli.core.booking_status import BookingStatus

app = group("Check availability, book, cancel and reconcile.")

BOOKING = typer.Argument(
    ...,
    metavar="BOOKING",
    help="Booking id, reference (PRM-...) or key.",
    autocompletion=completers.bookings,
)
#: every CancelReason (a test checks; the adapter SDK is not loaded for a help text)
REASONS = "OTHER, CHANGED_PLANS or BOOKED_ANOTHER_PLACE"
STATUSES = ", ".join(s.value for s in BookingStatus)


@app.command("availability")
def availability(
    ctx: typer.Context,
    venue: str = VENUE,
    date: str = typer.Option(
        ...,
        "--date",
        metavar="DATE",
        help="Venue-local date: YYYY-MM-DD, today, tomorrow, "
        "+Nd, +Nw or a weekday name (the next one after today).",
    ),
    party: int = typer.Option(..., "--party", help="Party size."),
    time: str | None = typer.Option(None, "--time", help="Is HH:MM bookable? With alternatives."),
    platform: str | None = typer.Option(
        None, "--platform", help="Ask only this platform.", autocompletion=completers.platform_types
    ),
    cached: bool = typer.Option(
        False, "--cached", help="Answer from the last sync's snapshot; call no platform."
    ),
    json: bool = JSON,
) -> int:
    """Bookable times for a party at a venue, per enabled platform (in priority order)."""
    from prima_cli.core import availability as core

    app_ = application(ctx)
    query = core.AvailabilityQuery.parse(venue, date=date, party_size=party, time=time,
                                         platform_type=platform)  # fmt: skip
    if cached:
        return app_.render(core.check_cached(app_.store(), query), view.CACHED_AVAILABILITY,
                           json=json)  # fmt: skip
    return app_.render(core.check(app_.store(), query, app_.http_options()), view.AVAILABILITY,
                       json=json)  # fmt: skip


@app.command("create")
def create(
    ctx: typer.Context,
    venue: str = VENUE,
    date: str = typer.Option(
        ...,
        "--date",
        metavar="DATE",
        help="Venue-local date: YYYY-MM-DD, today, tomorrow, "
        "+Nd, +Nw or a weekday name (the next one after today).",
    ),
    time: str = typer.Option(..., "--time", help="Venue-local time, HH:MM."),
    party: int = typer.Option(..., "--party", help="Party size."),
    name: str | None = typer.Option(None, "--name", help="Guest full name (first, then last)."),
    first_name: str | None = typer.Option(None, "--first-name", help="Guest first name."),
    last_name: str | None = typer.Option(None, "--last-name", help="Guest last name."),
    email: str = typer.Option(..., "--email", help="Guest e-mail."),
    phone: str = typer.Option(..., "--phone", help="Guest phone (the venue's country by default)."),
    notes: str = typer.Option("", "--notes", help="Guest requests, sent to the platform."),
    platform: str | None = typer.Option(
        None,
        "--platform",
        help="Use only this platform (no failover).",
        autocompletion=completers.platform_types,
    ),
    force: bool = typer.Option(False, "--force", help="Book even without availability (CM)."),
    reference: str | None = typer.Option(
        None,
        "--reference",
        metavar="KEY",
        help="Idempotency key: repeating the create with it never books twice.",
    ),
    snap: bool = typer.Option(
        False, "--snap-to-quarter", help="Move an off-grid time to the nearest quarter hour."
    ),
    json: bool = JSON,
) -> int:
    """Book: written locally first, then placed on the venue's platforms in priority order."""
    from prima_cli.core import bookings

    app_ = application(ctx)
    data = bookings.BookingInput(
        venue=venue, date=date, time=time, party_size=party, email=email, phone=phone,
        name=name, first_name=first_name, last_name=last_name, notes=notes, platform=platform,
        force=force, reference=reference, snap_to_quarter=snap,
    )  # fmt: skip
    created = bookings.create(app_.store(), data, app_.http_options())
    return app_.render(created, view.CREATED, json=json)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    booking: str = BOOKING,
    reason: str = typer.Option(
        "OTHER", "--reason", help=f"One of {REASONS}.", autocompletion=completers.cancel_reasons
    ),
    local: bool = typer.Option(
        False,
        "--local",
        help="Drop it here without calling the platform: only when another booking holds "
        "the same reservation, or its connection was removed.",
    ),
    json: bool = JSON,
) -> int:
    """Cancel on the platform that holds it (even through a disabled connection), then locally."""
    from prima_cli.core import bookings

    app_ = application(ctx)
    cancelled = bookings.cancel(
        app_.store(), booking, reason.upper(), app_.http_options(), local=local
    )
    return app_.render(cancelled, view.CANCELLED, json=json)


@app.command("list")
@listing
def list_(
    ctx: typer.Context,
    venue: str | None = VENUE_FILTER,
    status: str | None = typer.Option(
        None, "--status", help=f"One of {STATUSES}.", autocompletion=completers.booking_statuses
    ),
    platform: str | None = typer.Option(
        None,
        "--platform",
        help="Only bookings tried there.",
        autocompletion=completers.platform_types,
    ),
    date_from: str | None = typer.Option(
        None, "--from", metavar="DATE", help="From this local date (as --date: tomorrow, +2d...)."
    ),
    date_to: str | None = typer.Option(
        None, "--to", metavar="DATE", help="Up to this local date (as --date)."
    ),
    limit: int = typer.Option(50, "--limit", help="At most this many (1-10000)."),
    offset: int = OFFSET,
) -> int:
    """List bookings by start time (says on stderr how many more match beyond --limit)."""
    from prima_cli.core import bookings

    app_ = application(ctx)
    flt = bookings.BookingFilter(venue, status, platform, date_from, date_to, limit, offset)
    return app_.render(bookings.list_all(app_.store(), flt), view.BOOKINGS)


@app.command("show")
def show(ctx: typer.Context, booking: str = BOOKING, json: bool = JSON) -> int:
    """One booking with every platform attempt, ids, raw and normalised statuses, errors."""
    from prima_cli.core import bookings

    app_ = application(ctx)
    return app_.render(bookings.show(app_.store(), booking), view.BOOKING, json=json)


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    booking: str = BOOKING,
    found: str | None = typer.Option(
        None, "--found", metavar="EXTERNAL_ID", help="The platform holds it under this id."
    ),
    not_found: bool = typer.Option(False, "--not-found", help="The platform does not hold it."),
    attempt: int | None = typer.Option(
        None, "--attempt", help="Which open attempt (when there are several)."
    ),
    note: str | None = typer.Option(None, "--note", help="What you checked, for the record."),
    json: bool = JSON,
) -> int:
    """Record what you found on the platform for an attempt whose outcome is unknown."""
    from prima_cli.core import bookings

    app_ = application(ctx)
    resolved = bookings.resolve(app_.store(), booking, found=found, not_found=not_found,
                                attempt=attempt, note=note)  # fmt: skip
    return app_.render(resolved, view.RESOLVED, json=json)


@app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    booking: str | None = typer.Argument(
        None, metavar="BOOKING", help="Only this booking.", autocompletion=completers.bookings
    ),
    json: bool = JSON,
) -> int:
    """Settle attempts whose outcome is unknown by looking them up on the platform."""
    from prima_cli.core import reconcile as core

    app_ = application(ctx)
    report = core.reconcile(app_.store(), booking, app_.http_options())
    return app_.render(report, view.RECONCILED, json=json)
