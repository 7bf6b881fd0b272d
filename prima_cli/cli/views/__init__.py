"""Declared JSON shapes and table columns per command (the ``--json`` contract).

Each function builds the documented keys explicitly, so renaming a column or a field
of a result value cannot silently change what scripts parse. README lists these keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.cli.output import Column

if TYPE_CHECKING:
    from prima_cli.core.booking_records import AttemptInfo, BookingInfo, EventInfo
    from prima_cli.core.connections import ConnectionInfo
    from prima_cli.core.venues import VenueInfo
    from prima_cli.platforms.contract import PlatformAdapter


def platform_type(name: str, cls: type[PlatformAdapter]) -> dict[str, Any]:
    return {
        "name": name,
        "display_name": cls.display_name,
        "version": cls.version,
        "sdk_version": cls.sdk_version,
        "fields": [
            {
                "name": f.name,
                "required": f.required,
                "secret": f.secret,
                "default": f.default,
                "help": f.help,
            }
            for f in cls.config_fields
        ],
    }


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
    Column("id", "ID", "right"),
    Column("slug", "Slug"),
    Column("name", "Name"),
    Column("timezone", "Time zone"),
    Column("country", "Country"),
    Column("connections", "Connections", "right"),
)


def connection(c: ConnectionInfo) -> dict[str, Any]:
    return {
        "id": c.id,
        "venue": {"id": c.venue_id, "slug": c.venue_slug, "name": c.venue_name},
        "platform_type": c.platform_type,
        "enabled": c.is_enabled,
        "priority": c.priority,
        "configuration": dict(c.configuration),
        "defaults": dict(c.defaults),
        "last_synced_at": c.last_synced_at,
        "last_sync_attempt_at": c.last_sync_attempt_at,
        "last_sync_status": c.last_sync_status,
        "last_error": c.last_error,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def connection_row(c: ConnectionInfo) -> dict[str, Any]:
    return {
        "id": c.id,
        "venue": c.venue_slug,
        "platform_type": c.platform_type,
        "enabled": c.is_enabled,
        "priority": c.priority,
        "configuration": c.configuration,
        "last_sync": c.last_sync_status,
        "last_synced_at": c.last_synced_at,
        "last_sync_attempt_at": c.last_sync_attempt_at,
    }


CONNECTION_COLUMNS = (
    Column("id", "ID", "right"),
    Column("venue", "Venue"),
    Column("platform_type", "Type"),
    Column("enabled", "Enabled"),
    Column("priority", "Priority", "right"),
    Column("configuration", "Configuration"),
    Column("last_sync", "Last sync"),
    Column("last_synced_at", "Synced at"),
    Column("last_sync_attempt_at", "Last attempt"),
)


def connection_fields(c: ConnectionInfo) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = [
        ("id", c.id),
        ("venue", f"{c.venue_slug} ({c.venue_name})"),
        ("type", c.platform_type),
        ("enabled", c.is_enabled),
        ("priority", c.priority),
    ]
    fields += [(f"config.{k}", v) for k, v in sorted(c.configuration.items())]
    fields += [(f"config.{k}", f"{v} (default)") for k, v in sorted(c.defaults.items())]
    fields += [
        ("last sync", c.last_sync_status),
        ("last synced at", c.last_synced_at),
        ("last attempt at", c.last_sync_attempt_at),
        ("last error", c.last_error),
        ("created at", c.created_at),
        ("updated at", c.updated_at),
    ]
    return fields


def _attempt(a: AttemptInfo, *, raw: bool) -> dict[str, Any]:
    data = {
        "attempt": a.attempt,
        "platform_type": a.platform_type,
        "connection_id": a.connection_id,
        "state": a.state,
        "external_id": a.external_id,
        "raw_status": a.raw_status,
        "status": a.status,
        "error": (a.error_details or {"type": a.error_type, "message": a.error_message})
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


def booking_row(b: BookingInfo) -> dict[str, Any]:
    placed = b.confirmed_attempt
    return {
        "reference": b.reference,
        "venue": b.venue_slug,
        "when": f"{b.date} {b.time:%H:%M}",
        "party": b.party_size,
        "guest": f"{b.first_name} {b.last_name}",
        "status": b.status + (" (!)" if b.needs_attention else ""),
        "platform": f"{placed.platform_type}:{placed.external_id}" if placed else "",
    }


BOOKING_COLUMNS = (
    Column("reference", "Reference"),
    Column("venue", "Venue"),
    Column("when", "When (local)"),
    Column("party", "Party", "right"),
    Column("guest", "Guest"),
    Column("status", "Status"),
    Column("platform", "Platform"),
)


def booking_fields(b: BookingInfo) -> list[tuple[str, Any]]:
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


def sync_result(r: Any) -> dict[str, Any]:
    """One connection's outcome in a run (a live outcome or a stored result)."""
    error = getattr(r, "error", None)
    return {
        "venue": r.venue_slug,
        "platform_type": r.platform_type,
        "status": r.status,
        "steps": r.steps,
        "error": (
            error.to_dict()
            if error is not None
            else {"type": r.error_type, "message": r.error_message}
            if getattr(r, "error_type", None)
            else None
        ),
        "duration_ms": r.duration_ms,
    }


def sync_run(run: Any, results: list[Any]) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "trigger": getattr(run, "trigger", None),
        "worker": getattr(run, "worker", None),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "counts": run.counts,
        "results": [sync_result(r) for r in results],
    }


SYNC_RESULT_COLUMNS = (
    Column("venue", "Venue"),
    Column("platform_type", "Type"),
    Column("status", "Status"),
    Column("availability", "Availability"),
    Column("reconcile", "Reconciled/pushed"),
    Column("statuses", "Status changes"),
    Column("message", "Message"),
)


def sync_result_row(r: Any) -> dict[str, Any]:
    data = sync_result(r)
    steps = data["steps"]
    avail = steps.get("availability", {})
    rec = steps.get("reconcile", {})
    st = steps.get("statuses", {})
    return {
        "venue": data["venue"],
        "platform_type": data["platform_type"],
        "status": data["status"],
        "availability": f"{avail.get('days', 0)} day(s)"
        if avail.get("status") == "ok"
        else avail.get("status", ""),
        "reconcile": f"{rec.get('settled', 0)}/{rec.get('pushed', 0)}" if rec else "",
        "statuses": st.get("changed", "") if st.get("status") == "ok" else st.get("status", ""),
        "message": data["error"]["message"] if data["error"] else "",
    }


RUN_COLUMNS = (
    Column("id", "Run", "right"),
    Column("started_at", "Started"),
    Column("trigger", "Trigger"),
    Column("status", "Status"),
    Column("connections", "Connections", "right"),
    Column("failed", "Failed", "right"),
    Column("seconds", "Seconds", "right"),
)


def run_row(run: Any) -> dict[str, Any]:
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "id": run.id,
        "started_at": run.started_at,
        "trigger": run.trigger,
        "status": run.status,
        "connections": run.counts.get("connections", ""),
        "failed": run.counts.get("failed", ""),
        "seconds": f"{seconds:.1f}" if seconds is not None else "",
    }
