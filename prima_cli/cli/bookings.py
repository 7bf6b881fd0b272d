"""`prima bookings ...`: availability, create, cancel, list, show, reconcile."""

from __future__ import annotations

from typing import Any

import typer

from prima_cli.cli import views
from prima_cli.cli.options import JSON, VENUE, group
from prima_cli.cli.output import Column
from prima_cli.cli.state import current
from prima_cli.errors import batch_exit_code

app = group("Check availability, book, cancel and reconcile.")

BOOKING = typer.Argument(..., metavar="BOOKING", help="Booking id, reference (PRM-...) or key.")
REASONS = "OTHER, CHANGED_PLANS or BOOKED_ANOTHER_PLACE"


@app.command("availability")
def availability(
    venue: str = VENUE,
    date: str = typer.Option(..., "--date", help="Venue-local date, YYYY-MM-DD."),
    party: int = typer.Option(..., "--party", help="Party size."),
    time: str | None = typer.Option(None, "--time", help="Is HH:MM bookable? With alternatives."),
    platform: str | None = typer.Option(None, "--platform", help="Ask only this platform."),
    cached: bool = typer.Option(
        False, "--cached", help="Answer from the last sync's snapshot; call no platform."
    ),
    json: bool = JSON,
) -> None:
    """Bookable times for a party at a venue, per enabled platform (in priority order)."""
    from prima_cli.core import availability as core
    from prima_cli.core.booking_rules import parse_date, parse_time

    state = current()
    out = state.use_json(json)
    day = parse_date(date)
    at = parse_time(time) if time else None
    if cached:
        _cached(venue, day, party, at, platform, json)
        return
    result = core.venue_availability(
        state.store(), venue, date=day, party_size=party, http=state.http_options(),
        platform_type=platform,
    )  # fmt: skip
    rows: list[dict[str, Any]] = []
    for answer in result.platforms:
        nearest = core.at_time(answer, at) if at else []
        rows.append(
            {
                "platform_type": answer.platform_type,
                "priority": answer.priority,
                "status": "unsupported" if answer.unsupported else (
                    "error" if answer.error else "ok"),
                "times": [s.time.strftime("%H:%M") for s in answer.slots],
                "bookable": (at in {s.time for s in answer.slots}) if at and not (
                    answer.error or answer.unsupported) else None,
                "alternatives": [t.strftime("%H:%M") for t in nearest if t != at],
                "error": answer.error.to_dict() if answer.error else None,
            }
        )  # fmt: skip
    if json:
        out.json({"venue": result.venue_slug, "timezone": result.timezone, "date": day,
                  "party_size": party, "time": time, "platforms": rows})  # fmt: skip
    else:
        table_rows = []
        for row in rows:
            if row["status"] == "unsupported":
                shown = "availability not offered by this platform"
            elif row["status"] == "error":
                shown = f"failed: {row['error']['message']}"
            elif at is not None:
                shown = ("bookable" if row["bookable"] else "not bookable") + (
                    f"; nearest: {', '.join(row['alternatives'])}" if row["alternatives"] else ""
                )
            else:
                shown = ", ".join(row["times"]) or "no availability"
            table_rows.append({"platform": row["platform_type"], "answer": shown})  # fmt: skip
        out.table((Column("platform", "Platform"), Column("answer", f"{day} for {party}")),
                  table_rows)  # fmt: skip
    failures = [a.error for a in result.platforms if a.error is not None]
    if failures and len(failures) == len(result.platforms):  # nobody could answer: say so
        out.error(failures[0])
        raise typer.Exit(batch_exit_code(failures, len(result.platforms)))


def _cached(venue: str, day: Any, party: int, at: Any, platform: str | None, json: bool) -> None:
    from prima_cli.core import availability as core
    from prima_cli.store.types import utcnow

    state = current()
    out = state.use_json(json)
    result = core.cached_availability(
        state.store(), venue, date=day, party_size=party, platform_type=platform
    )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for a in result.answers:
        age = round((now - a.fetched_at).total_seconds()) if a.fetched_at else None
        hhmm = at.strftime("%H:%M") if at else None
        rows.append(
            {
                "platform_type": a.platform_type,
                "priority": a.priority,
                "fetched_at": a.fetched_at,
                "age_seconds": age,
                "cached": a.fetched_at is not None and party in a.cached_sizes,
                "times": a.times,
                "bookable": (hhmm in a.times) if hhmm and a.fetched_at else None,
            }
        )
    if json:
        out.json({"venue": result.venue_slug, "timezone": result.timezone, "date": day,
                  "party_size": party, "time": at.strftime("%H:%M") if at else None,
                  "cached": True, "platforms": rows})  # fmt: skip
        return
    table = []
    for row in rows:
        if row["fetched_at"] is None:
            shown = "nothing cached for that date: run `prima platforms sync`"
        elif not row["cached"]:
            shown = f"party of {party} not cached by the last sync"
        else:
            when = "bookable" if row["bookable"] else "not bookable" if at else ""
            shown = when or (", ".join(row["times"]) or "no availability")
        seconds = row["age_seconds"]
        synced = f"{int(seconds) // 60} min ago" if isinstance(seconds, int) else ""
        table.append({"platform": row["platform_type"], "answer": shown, "age": synced})
    out.table((Column("platform", "Platform"), Column("answer", f"{day} for {party} (cached)"),
               Column("age", "Synced")), table)  # fmt: skip


@app.command("create")
def create(
    venue: str = VENUE,
    date: str = typer.Option(..., "--date", help="Venue-local date, YYYY-MM-DD."),
    time: str = typer.Option(..., "--time", help="Venue-local time, HH:MM."),
    party: int = typer.Option(..., "--party", help="Party size."),
    name: str | None = typer.Option(None, "--name", help="Guest full name (first, then last)."),
    first_name: str | None = typer.Option(None, "--first-name", help="Guest first name."),
    last_name: str | None = typer.Option(None, "--last-name", help="Guest last name."),
    email: str = typer.Option(..., "--email", help="Guest e-mail."),
    phone: str = typer.Option(..., "--phone", help="Guest phone (the venue's country by default)."),
    notes: str = typer.Option("", "--notes", help="Guest requests, sent to the platform."),
    platform: str | None = typer.Option(
        None, "--platform", help="Use only this platform (no failover)."
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
) -> None:
    """Book: written locally first, then placed on the venue's platforms in priority order."""
    from prima_cli.core import bookings

    state = current()
    out = state.use_json(json)
    data = bookings.BookingInput(
        venue=venue, date=date, time=time, party_size=party, email=email, phone=phone,
        name=name, first_name=first_name, last_name=last_name, notes=notes, platform=platform,
        force=force, reference=reference, snap_to_quarter=snap,
    )  # fmt: skip
    result = bookings.create(state.store(), data, state.http_options())
    for warning in result.warnings:
        out.warn(warning)
    b = result.booking
    if json:
        out.json({**views.booking(b), "replayed": result.replayed})
        return
    placed = b.confirmed_attempt
    where = f" on {placed.platform_type} as {placed.external_id}" if placed else ""
    verb = "already booked" if result.replayed else "booked"
    out.success(f"{verb} {b.reference}{where} ({b.status})")
    out.record(views.booking_fields(b))


@app.command("cancel")
def cancel(
    booking: str = BOOKING,
    reason: str = typer.Option("OTHER", "--reason", help=f"One of {REASONS}."),
    local: bool = typer.Option(
        False,
        "--local",
        help="Drop it here without calling the platform: only when another booking holds "
        "the same reservation, or its connection was removed.",
    ),
    json: bool = JSON,
) -> None:
    """Cancel on the platform that holds it (even through a disabled connection), then locally."""
    from prima_cli.core import bookings

    state = current()
    out = state.use_json(json)
    result = bookings.cancel(
        state.store(), booking, reason.upper(), state.http_options(), local=local
    )
    for warning in result.warnings:
        out.warn(warning)
    if json:
        out.json(views.booking(result.booking))
        return
    out.success(f"cancelled {result.booking.reference} ({result.booking.status_detail})")


@app.command("list")
def list_(
    venue: str | None = typer.Option(None, "--venue", help="Only this venue."),
    status: str | None = typer.Option(
        None,
        "--status",
        help="pending, confirmed, waitlisted, rejected, unknown, cancelled or no_show.",
    ),
    platform: str | None = typer.Option(None, "--platform", help="Only bookings tried there."),
    date_from: str | None = typer.Option(None, "--from", help="From this local date."),
    date_to: str | None = typer.Option(None, "--to", help="Up to this local date."),
    limit: int = typer.Option(50, "--limit", help="At most this many (1-10000)."),
    json: bool = JSON,
) -> None:
    """List bookings by start time."""
    from prima_cli.core import bookings

    state = current()
    out = state.use_json(json)
    rows = bookings.iter_bookings(
        state.store(),
        bookings.BookingFilter(venue, status, platform, date_from, date_to, limit),
    )
    if json:
        out.json_stream(views.booking(b, attempts=False) for b in rows)
    else:
        found = list(rows)
        out.table(views.BOOKING_COLUMNS, [views.booking_row(b) for b in found],
                  empty="no bookings")  # fmt: skip


@app.command("show")
def show(booking: str = BOOKING, json: bool = JSON) -> None:
    """One booking with every platform attempt, ids, raw and normalised statuses, errors."""
    from prima_cli.core import bookings

    state = current()
    out = state.use_json(json)
    b = bookings.show(state.store(), booking)
    if json:
        out.json(views.booking(b))
    else:
        out.record(views.booking_fields(b))


@app.command("resolve")
def resolve(
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
) -> None:
    """Record what you found on the platform for an attempt whose outcome is unknown."""
    from prima_cli.core import bookings

    state = current()
    out = state.use_json(json)
    result = bookings.resolve(state.store(), booking, found=found, not_found=not_found,
                              attempt=attempt, note=note)  # fmt: skip
    b = result.booking
    if json:
        out.json(views.booking(b))
        return
    said = f"found as {result.found}" if result.found else "not found"
    out.success(f"recorded attempt {result.attempt} of {b.reference} as {said} ({b.status})")


@app.command("reconcile")
def reconcile(
    booking: str | None = typer.Argument(None, metavar="[BOOKING]", help="Only this booking."),
    json: bool = JSON,
) -> None:
    """Settle attempts whose outcome is unknown by looking them up on the platform."""
    from prima_cli.core import reconcile as core

    state = current()
    out = state.use_json(json)
    report = core.reconcile(state.store(), booking, state.http_options())
    rows = [
        {"booking": i.booking, "platform_type": i.platform_type, "attempt": i.attempt,
         "outcome": i.outcome, "external_id": i.external_id, "detail": i.detail}
        for i in report.items
    ]  # fmt: skip
    if json:
        out.json({"items": rows})
    else:
        columns = (Column("booking", "Booking"), Column("platform_type", "Platform"),
                   Column("outcome", "Outcome"), Column("detail", "Detail"))  # fmt: skip
        out.table(columns, rows, empty="nothing to reconcile")
    raise typer.Exit(report.exit_code)
