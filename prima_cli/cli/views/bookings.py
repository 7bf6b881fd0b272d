"""How bookings look: one booking as a record and its JSON, the list as a table, and what
availability, create, cancel, resolve and reconcile report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prima_cli.cli.output import Column
from prima_cli.cli.render import View
from prima_cli.cli.views import stored_error
from prima_cli.core.phrases import named

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from prima_cli.core.availability import AvailabilityReport, CachedAvailabilityReport
    from prima_cli.core.booking_records import AttemptInfo, BookingInfo, EventInfo
    from prima_cli.core.cancel import Cancelled
    from prima_cli.core.create import CreateResult
    from prima_cli.core.paging import Page
    from prima_cli.core.reconcile_attempts import ReconcileItem, ReconcileReport
    from prima_cli.core.resolve import ResolveResult


def _attempt(a: AttemptInfo, *, raw: bool) -> dict[str, Any]:
    data = {
        "attempt": a.attempt,
        "platform_type": a.platform_type,
        "connection_id": a.connection_id,
        "state": a.state,
        "external_id": a.external_id,
        "raw_status": a.raw_status,
        "status": a.status,
        "error": stored_error(a.error_details, a.error_type, a.error_message)
        if a.error_type
        else None,
        "attention": a.attention,
        "requested_at": a.requested_at,
        "updated_at": a.updated_at,
    }
    if raw:
        data["raw_response"] = a.raw_response
    return data


def booking(b: BookingInfo, *, attempts: bool = True) -> dict[str, Any]:
    """A booking's JSON document (with its attempts and audit trail unless ``attempts`` is
    false, as in lists)."""
    placed = b.confirmed_attempt
    data: dict[str, Any] = {
        "id": b.id,
        "reference": b.reference,
        "idempotency_key": b.idempotency_key,
        "venue": b.venue_slug,
        "status": b.status,
        "status_detail": b.status_detail,
        "date": b.date,
        "time": b.time.isoformat("minutes"),
        "timezone": b.timezone,
        "starts_at": b.starts_at,
        "party_size": b.party_size,
        "guest": {
            "first_name": b.first_name,
            "last_name": b.last_name,
            "email": b.email,
            "phone": b.phone_e164,
        },
        "notes": b.notes,
        "force": b.force,
        "platform_type": placed.platform_type if placed else None,
        "external_id": placed.external_id if placed else None,
        "platform_status": placed.status if placed else None,
        "needs_attention": b.needs_attention,
        "cancel_reason": b.cancel_reason,
        "cancel_requested_at": b.cancel_requested_at,
        "cancelled_at": b.cancelled_at,
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }
    if attempts:
        data["attempts"] = [_attempt(a, raw=True) for a in b.attempts]
        data["events"] = [_event(e) for e in b.events]
    return data


def _event(e: EventInfo) -> dict[str, Any]:
    return {"version": e.version, "at": e.at, "actor": e.actor, "action": e.action,
            "status": e.status, "attempt": e.attempt, "note": e.note}  # fmt: skip


def zone_label(starts_at: dt.datetime, timezone: str) -> str:
    """The venue's zone as a time is labelled in a list: its abbreviation there (CET, CST),
    or the zone's city where it has only a numeric one (-05)."""
    name = starts_at.astimezone(ZoneInfo(timezone)).tzname() or ""
    if not name or name[0] in "+-":
        return timezone.rsplit("/", 1)[-1]
    return name


def booking_row(b: BookingInfo) -> dict[str, Any]:
    """A booking as one row of the list's table."""
    placed = b.confirmed_attempt
    return {
        "reference": b.reference,
        "venue": b.venue_slug,
        "when": f"{b.date} {b.time:%H:%M} {zone_label(b.starts_at, b.timezone)}",
        "party": b.party_size,
        "guest": f"{b.first_name} {b.last_name}",
        "status": b.status + (" (!)" if b.needs_attention else ""),
        "platform": f"{placed.platform_type}:{placed.external_id}" if placed else "",
    }


BOOKING_COLUMNS = (
    Column("reference", "Reference", identifier=True),
    Column("venue", "Venue", identifier=True),
    Column("when", "When (venue time)"),
    Column("party", "Party", "right", optional=True),
    Column("guest", "Guest", optional=True),
    Column("status", "Status"),
    Column("platform", "Platform", optional=True),
)


def booking_fields(b: BookingInfo) -> list[tuple[str, Any]]:
    """A booking as label/value pairs: its details, each attempt and each audit event."""
    fields: list[tuple[str, Any]] = [
        ("reference", b.reference),
        ("status", b.status),
        ("detail", b.status_detail),
        ("venue", b.venue_slug),
        ("when", f"{b.date} {b.time:%H:%M} {b.timezone} ({b.starts_at.isoformat()})"),
        ("party", b.party_size),
        ("guest", f"{b.first_name} {b.last_name} <{b.email}> {b.phone_e164}"),
    ]
    if b.notes:
        fields.append(("notes", b.notes))
    if b.idempotency_key:
        fields.append(("idempotency key", b.idempotency_key))
    if b.cancelled_at:
        fields.append(("cancelled", f"{b.cancelled_at.isoformat()} ({b.cancel_reason})"))
    elif b.cancel_requested_at:
        fields.append(("cancel asked", f"{b.cancel_requested_at.isoformat()} ({b.cancel_reason}): "
                       "not confirmed by the platform yet"))  # fmt: skip
    for a in b.attempts:
        line = f"{a.platform_type}: {a.state}"
        if a.external_id:
            line += f", id {a.external_id}, status {a.status} (raw {a.raw_status})"
        if a.error_message:
            line += f" - {a.error_message}"
        fields.append((f"attempt {a.attempt}", line))
        if a.attention:
            fields.append(("  attention", a.attention))
    for e in b.events:
        what = f"{e.action} -> {e.status}" + (f" (attempt {e.attempt})" if e.attempt else "")
        note = f": {e.note}" if e.note else ""
        fields.append((f"v{e.version}", f"{e.at.isoformat()} {e.actor} {what}{note}"))
    return fields


def _created_line(r: CreateResult) -> str:
    b = r.booking
    placed = b.confirmed_attempt
    where = f" on {placed.platform_type} as {placed.external_id}" if placed else ""
    verb = "already booked" if r.replayed else "booked"
    return f"{verb} {b.reference}{where} ({b.status})"


#: `bookings show`
BOOKING: View[BookingInfo] = View(json=booking, record=booking_fields)
#: `bookings list`: streamed, it may be thousands of rows
BOOKINGS: View[Page[BookingInfo]] = View(
    json=lambda b: booking(b, attempts=False), columns=BOOKING_COLUMNS, row=booking_row,
    empty="no bookings", stream=True,
)  # fmt: skip
#: `bookings create`
CREATED: View[CreateResult] = View(
    json=lambda r: {**booking(r.booking), "replayed": r.replayed},
    record=lambda r: booking_fields(r.booking),
    message=_created_line,
)
#: `bookings cancel`: a booking cancelled already is said as a note, `changed: false`
CANCELLED: View[Cancelled] = View(
    json=lambda c: {**booking(c.booking), "changed": c.changed},
    message=lambda c: (
        f"cancelled {c.booking.reference} ({c.booking.status_detail})" if c.changed else None
    ),
    note=lambda c: None if c.changed else f"{c.booking.reference} was already cancelled",
)


def _resolved_line(r: ResolveResult) -> str:
    said = f"found as {r.found}" if r.found else "not found"
    b = r.booking
    return f"recorded attempt {r.attempt} of {b.reference} as {said} ({b.status})"


#: `bookings resolve`
RESOLVED: View[ResolveResult] = View(json=lambda r: booking(r.booking), message=_resolved_line)


def _reconciled(i: ReconcileItem) -> dict[str, Any]:
    return {"booking": i.booking, "platform_type": i.platform_type, "attempt": i.attempt,
            "outcome": i.outcome, "external_id": i.external_id, "detail": i.detail}  # fmt: skip


RECONCILE_COLUMNS = (
    Column("booking", "Booking", identifier=True),
    Column("platform_type", "Platform", identifier=True),
    Column("outcome", "Outcome"),
    Column("detail", "Detail"),
)


def _still_open(r: ReconcileReport) -> tuple[str, str | None]:
    still = sorted({i.booking for i in r.items if i.outcome.is_open})
    return (f"{len(still)} booking(s) still open after reconciling: {named(still)}",
            "each item's outcome and detail are in `items`; `prima bookings show REF`")  # fmt: skip


#: `bookings reconcile`
RECONCILED: View[ReconcileReport] = View(
    json=lambda r: {"items": [_reconciled(i) for i in r.items]},
    table=lambda r: (RECONCILE_COLUMNS, [_reconciled(i) for i in r.items]),
    empty="nothing to reconcile",
    failed=_still_open,
)


def _availability(r: AvailabilityReport) -> dict[str, Any]:
    return {
        "venue": r.venue_slug,
        "timezone": r.timezone,
        "date": r.date,
        "party_size": r.party_size,
        "time": r.time,
        "platforms": [
            {
                "platform_type": a.platform_type,
                "priority": a.priority,
                "status": a.status.value,
                "times": a.times,
                "bookable": a.bookable,
                "alternatives": a.alternatives,
                "error": a.error.to_dict() if a.error else None,
            }
            for a in r.platforms
        ],
    }


def _availability_table(
    r: AvailabilityReport,
) -> tuple[Sequence[Column], list[Mapping[str, Any]]]:
    from prima_cli.core.availability import AnswerStatus

    rows: list[Mapping[str, Any]] = []
    for a in r.platforms:
        if a.status == AnswerStatus.UNSUPPORTED:
            shown = "availability not offered by this platform"
        elif a.status == AnswerStatus.ERROR:
            shown = f"failed: {a.error.message if a.error else ''}"
        elif r.time:
            shown = ("bookable" if a.bookable else "not bookable") + (
                f"; nearest: {', '.join(a.alternatives)}" if a.alternatives else ""
            )
        else:
            shown = ", ".join(a.times) or "no availability"
        rows.append({"platform": a.platform_type, "answer": shown})
    columns = (Column("platform", "Platform"), Column("answer", f"{r.date} for {r.party_size}"))
    return columns, rows


#: `bookings availability`
AVAILABILITY: View[AvailabilityReport] = View(json=_availability, table=_availability_table)


def _cached(r: CachedAvailabilityReport) -> dict[str, Any]:
    return {
        "venue": r.venue_slug,
        "timezone": r.timezone,
        "date": r.date,
        "party_size": r.party_size,
        "time": r.time,
        "cached": True,
        "platforms": [
            {
                "platform_type": a.platform_type,
                "priority": a.priority,
                "fetched_at": a.fetched_at,
                "age_seconds": a.age_seconds,
                "cached": a.cached,
                "times": a.times,
                "bookable": a.bookable,
            }
            for a in r.platforms
        ],
    }


def _cached_table(
    r: CachedAvailabilityReport,
) -> tuple[Sequence[Column], list[Mapping[str, Any]]]:
    rows: list[Mapping[str, Any]] = []
    for a in r.platforms:
        if a.fetched_at is None:
            shown = "nothing cached for that date: run `prima platforms sync`"
        elif not a.cached:
            shown = f"party of {r.party_size} not cached by the last sync"
        else:
            when = "bookable" if a.bookable else "not bookable" if r.time else ""
            shown = when or (", ".join(a.times) or "no availability")
        seconds = a.age_seconds
        synced = f"{int(seconds) // 60} min ago" if isinstance(seconds, int) else ""
        rows.append({"platform": a.platform_type, "answer": shown, "age": synced})
    columns = (Column("platform", "Platform"),
               Column("answer", f"{r.date} for {r.party_size} (cached)"),
               Column("age", "Synced"))  # fmt: skip
    return columns, rows


#: `bookings availability --cached`
CACHED_AVAILABILITY: View[CachedAvailabilityReport] = View(json=_cached, table=_cached_table)
