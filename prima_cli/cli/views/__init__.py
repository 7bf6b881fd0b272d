"""Declared JSON shapes and table columns per command (the ``--json`` contract).

Each function builds the documented keys explicitly, so renaming a column or a field
of a result value cannot silently change what scripts parse. README lists these keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.cli.output import Column

if TYPE_CHECKING:
    from prima_cli.core.connections import ConnectionInfo
    from prima_cli.core.venues import VenueInfo
    from prima_cli.platforms.contract import PlatformAdapter


def platform_type(name: str, cls: type[PlatformAdapter]) -> dict[str, Any]:
    return {
        "name": name,
        "display_name": cls.display_name,
        "version": cls.version,
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
