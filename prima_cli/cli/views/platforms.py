"""How platform types, connections and credential tests look, and their JSON."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from prima_cli.cli.output import Column
from prima_cli.cli.render import View
from prima_cli.core.phrases import named

if TYPE_CHECKING:
    from prima_cli.core.checks import TestReport, TestResult
    from prima_cli.core.connections import AddedConnection, ConnectionInfo, Toggled
    from prima_cli.core.credentials import CredentialState
    from prima_cli.core.platform_types import PlatformType
    from prima_cli.platforms.contract import ConfigField


def platform_type(t: PlatformType) -> dict[str, Any]:
    cls = t.adapter
    return {
        "name": t.name,
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
                "choices": list(f.choices) or None,
                "locates": f.locates,
            }
            for f in cls.config_fields
        ],
    }


def _type_field_row(item: tuple[str, ConfigField]) -> dict[str, Any]:
    name, f = item
    return {"type": name, "field": f.name, "required": f.required, "secret": f.secret,
            "default": f.default, "choices": ", ".join(f.choices), "locates": f.locates,
            "help": f.help}  # fmt: skip


#: one JSON object per type; one table row per configuration field of each
TYPES: View[list[PlatformType]] = View(
    json=platform_type,
    document=lambda types: [platform_type(t) for t in types],
    columns=(
        Column("type", "Type", identifier=True),
        Column("field", "Field", identifier=True),
        Column("required", "Required"),
        Column("secret", "Secret"),
        Column("default", "Default"),
        Column("choices", "Choices"),
        Column("locates", "Locates"),
        Column("help", "Help"),
    ),
    items=lambda types: [(t.name, f) for t in types for f in t.adapter.config_fields],
    row=_type_field_row,
    empty="no platform types installed",
)


def connection(c: ConnectionInfo) -> dict[str, Any]:
    return {
        "id": c.id,
        "venue": c.venue_slug,  # a venue referred to is its slug, in every document
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
        "last_sync": c.last_sync_status,
        "last_synced_at": c.last_synced_at,
        "last_sync_attempt_at": c.last_sync_attempt_at,
    }


CONNECTION_COLUMNS = (
    Column("id", "ID", "right", identifier=True),
    Column("venue", "Venue", identifier=True),
    Column("platform_type", "Type", identifier=True),
    Column("enabled", "Enabled"),
    Column("priority", "Priority", "right", optional=True),
    Column("last_sync", "Last sync", optional=True),
    Column("last_synced_at", "Synced at", optional=True),
    Column("last_sync_attempt_at", "Last attempt", optional=True),
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


CONNECTION: View[ConnectionInfo] = View(json=connection, record=connection_fields)
CONNECTIONS: View[list[ConnectionInfo]] = View(
    json=connection, columns=CONNECTION_COLUMNS, row=connection_row, empty="no connections"
)
UPDATED = replace(CONNECTION, message=lambda c: f"updated {c.venue_slug}/{c.platform_type}")
REMOVED: View[ConnectionInfo] = View(
    json=lambda c: {"removed": connection(c)},
    message=lambda c: f"removed {c.venue_slug}/{c.platform_type}",
)


def _added(a: AddedConnection) -> dict[str, Any]:
    data = connection(a.connection)
    data["test"] = {"tested": a.test_detail is not None, "detail": a.test_detail}
    return data


def _added_line(a: AddedConnection) -> str:
    c = a.connection
    tested = f" (credentials ok: {a.test_detail})" if a.test_detail else " (not tested)"
    return f"connected {c.venue_slug} to {c.platform_type}{tested}"


ADDED: View[AddedConnection] = View(
    json=_added, message=_added_line, record=lambda a: connection_fields(a.connection)
)


def _toggled(t: Toggled) -> dict[str, Any]:
    data = connection(t.connection)
    data["changed"] = t.changed
    return data


def _word(t: Toggled) -> str:
    return "enabled" if t.enabled else "disabled"


#: a change is said as done; asking for the state it already had is only a note
TOGGLED: View[Toggled] = View(
    json=_toggled,
    message=lambda t: (
        f"{_word(t)} {t.connection.venue_slug}/{t.connection.platform_type}" if t.changed else None
    ),
    note=lambda t: (
        None
        if t.changed
        else f"{t.connection.venue_slug}/{t.connection.platform_type} was already {_word(t)}"
    ),
)


def credential_test(r: TestResult) -> dict[str, Any]:
    return {
        "venue": r.venue_slug,
        "platform_type": r.platform_type,
        "ok": r.ok,
        "latency_ms": r.latency_ms,
        "message": r.message,
        "error": r.error.to_dict() if r.error else None,
    }


def credential_state(c: CredentialState) -> dict[str, Any]:
    return {
        "credential": c.credential,
        "platform_type": c.platform_type,
        "connections": c.connections,
        "rate_limit": c.rate_limit,
        "breaker": c.breaker.value,
        "failures": c.failures,
        "open_for_s": c.open_for_s,
        "last_failure": c.last_failure,
    }


def credential_line(c: CredentialState) -> str:
    """One credential for people: its hash prefix, never the key."""
    state = c.breaker.value.replace("_", "-")
    if c.open_for_s:
        state += f" for {c.open_for_s:.0f} s more"
    if c.failures:
        state += f", {c.failures} failure(s) in a row"
        state += f" (last: {c.last_failure})" if c.last_failure else ""
    count = f"{c.connections} connection{'s' if c.connections != 1 else ''}"
    return f"credential {c.credential} ({count}, budget {c.rate_limit}): circuit breaker {state}"


def _test_failed(report: TestReport) -> tuple[str, str | None]:
    failed = [f"{r.venue_slug}/{r.platform_type}" for r in report.results if not r.ok]
    return (f"{len(failed)} of {len(report.results)} connection(s) failed the test: "
            f"{named(failed)}", "each connection's error is in `results`")  # fmt: skip


TESTED: View[TestReport] = View(
    json=credential_test,
    document=lambda report: {
        "status": report.status,
        "results": [credential_test(r) for r in report.results],
        "credentials": [credential_state(c) for c in report.credentials],
    },
    note=lambda report: "\n".join(credential_line(c) for c in report.credentials) or None,
    columns=(
        Column("venue", "Venue", identifier=True),
        Column("platform_type", "Type", identifier=True),
        Column("ok", "OK"),
        Column("latency_ms", "Latency (ms)", "right"),
        Column("message", "Message"),
    ),
    items=lambda report: report.results,
    row=credential_test,
    empty="no enabled connections to test",
    failed=_test_failed,
)
