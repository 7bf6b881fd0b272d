"""Health report: versions, paths, database, schema, platform types, unresolved secrets."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from prima_cli import __version__
from prima_cli.core.result import OperationResult
from prima_cli.errors import ExitCode, PrimaError


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class DoctorReport:
    prima_version: str
    python_version: str
    data_dir: str
    database_url: str
    database_source: str
    schema_current: str | None
    schema_head: str
    platform_types: dict[str, str]
    broken_plugins: list[dict[str, str]]
    unresolved_secrets: list[dict[str, Any]]
    checks: list[Check] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks)


def check(db_option: str | None) -> OperationResult[DoctorReport]:
    """The health report, its warnings (secrets that do not resolve, plugins that failed to
    load), and exit 78 unless every check passed."""
    report = diagnose(db_option)
    warnings = [
        f"{item['venue']}/{item['platform_type']}: "
        + ", ".join(f"{k} -> {r} is not set"
                    for k, r in zip(item["keys"], item["references"], strict=True))
        for item in report.unresolved_secrets
    ]  # fmt: skip
    warnings += [f"platform plugin {p['name']} failed to load: {p['error']}"
                 for p in report.broken_plugins]  # fmt: skip
    outcome = ExitCode.OK if report.healthy else ExitCode.CONFIG
    return OperationResult(report, warnings, outcome)


def diagnose(db_option: str | None) -> DoctorReport:
    from sqlalchemy.exc import SQLAlchemyError

    from prima_cli.core import secrets
    from prima_cli.core.credentials import breaker_summary
    from prima_cli.platforms import registry
    from prima_cli.store import schema
    from prima_cli.store.engine import connect_error
    from prima_cli.store.store import Store
    from prima_cli.store.url import data_dir, resolve

    checks: list[Check] = []
    url, source = resolve(db_option)
    store = Store(url)
    current: str | None = None
    unresolved: list[dict[str, Any]] = []
    adapters = registry.available()
    broken = [{"name": b.name, "target": b.target, "error": b.error} for b in registry.broken()]
    try:
        try:
            with store.engine.connect() as conn:
                current = schema.current_revision(conn)
        except SQLAlchemyError as exc:
            raise connect_error(url, exc) from exc
        checks.append(Check("database", True, f"reachable ({store.display_url})"))
        if current == schema.HEAD:
            checks.append(Check("schema", True, f"at {current}"))
            unresolved = _unresolved(store, adapters, secrets)
            checks.append(
                Check(
                    "secrets",
                    not unresolved,
                    "every env: reference resolves"
                    if not unresolved
                    else f"{len(unresolved)} connection(s) with unresolved secrets",
                )
            )
            checks.append(Check("circuit breakers", *breaker_summary(store)))
        else:
            checks.append(
                Check(
                    "schema",
                    False,
                    f"at {current or 'nothing'}, needs {schema.HEAD}: run `prima db migrate`",
                )
            )
    except PrimaError as err:
        checks.append(Check("database", False, err.message))
    finally:
        store.dispose()
    checks.append(
        Check(
            "platforms",
            bool(adapters) and not broken,
            f"{len(adapters)} installed" + (f", {len(broken)} failed to load" if broken else ""),
        )
    )
    return DoctorReport(
        prima_version=__version__,
        python_version=sys.version.split()[0],
        data_dir=str(data_dir()),
        database_url=store.display_url,
        database_source=source,
        schema_current=current,
        schema_head=schema.HEAD,
        platform_types={name: cls.version for name, cls in sorted(adapters.items())},
        broken_plugins=broken,
        unresolved_secrets=unresolved,
        checks=checks,
    )


def _unresolved(store: Any, adapters: dict[str, Any], secrets: Any) -> list[dict[str, Any]]:
    from sqlmodel import col, select

    from prima_cli.store.models import Venue, VenuePlatform

    found = []
    with store.session() as session:
        rows = session.exec(
            select(VenuePlatform, Venue).join(Venue, col(Venue.id) == col(VenuePlatform.venue_id))
        ).all()
        for row, venue in rows:
            adapter = adapters.get(row.platform_type)
            keys = adapter.secret_fields() if adapter else ()
            missing = secrets.unresolved(row.configuration or {}, keys)
            if missing:
                found.append(
                    {
                        "venue": venue.slug,
                        "platform_type": row.platform_type,
                        "keys": missing,
                        "references": [row.configuration[k] for k in missing],
                    }
                )
    return found
