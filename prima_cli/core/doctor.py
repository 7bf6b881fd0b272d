"""Health report: versions, paths, database, schema, platform types, unresolved secrets,
this host's clock against a database server's, the job engine's tables."""

from __future__ import annotations

import datetime as dt
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
    #: the exit code this check stands for when it fails
    exit_code: ExitCode = ExitCode.CONFIG


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
    #: connections whose secrets are stored in the database as they are (not references)
    literal_secrets: list[dict[str, Any]] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks)


def check(
    db_option: str | None,
    *,
    max_sync_age: dt.timedelta | None = None,
    max_attention: int | None = None,
) -> OperationResult[DoctorReport]:
    """The health report, its warnings (secrets that do not resolve, plugins that failed to
    load), and its exit code: 0 when every check passed; 78 when the configuration is broken
    (bad URL, schema not migrated, unresolved secrets, broken plugins); 75 when the database
    cannot be reached now (try again later); 11 when only the sync's health checks failed
    (``max_sync_age``, ``max_attention``)."""
    report = diagnose(db_option, max_sync_age=max_sync_age, max_attention=max_attention)
    warnings = [
        f"{item['venue']}/{item['platform_type']}: " + "; ".join(item["problems"])
        for item in report.unresolved_secrets
    ]
    warnings += [f"platform plugin {p['name']} failed to load: {p['error']}"
                 for p in report.broken_plugins]  # fmt: skip
    failed = {c.exit_code for c in report.checks if not c.ok}
    outcome = next((code for code in _PRECEDENCE if code in failed), ExitCode.OK)
    return OperationResult(report, warnings, outcome)


#: the code of a report with several failed checks: the one that needs a person first
_PRECEDENCE = (ExitCode.CONFIG, ExitCode.TEMPFAIL, ExitCode.UNHEALTHY)


def diagnose(
    db_option: str | None,
    *,
    max_sync_age: dt.timedelta | None = None,
    max_attention: int | None = None,
) -> DoctorReport:
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
    literal: list[dict[str, Any]] = []
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
            unresolved, literal = _secrets(store, adapters, secrets)
            checks.append(
                Check(
                    "secrets",
                    not unresolved,
                    "every secret reference resolves"
                    + (
                        f"; {len(literal)} connection(s) store secrets in the database"
                        if literal
                        else ""
                    )
                    if not unresolved
                    else f"{len(unresolved)} connection(s) with unresolved secrets",
                )
            )
            checks.append(Check("circuit breakers", *breaker_summary(store)))
            checks += _clock(store)
            checks += _job_engine(store)
            checks += _health(store, max_sync_age, max_attention)
        else:
            checks.append(
                Check(
                    "schema",
                    False,
                    f"at {current or 'nothing'}, needs {schema.HEAD}: run `prima db migrate`",
                )
            )
    except PrimaError as err:
        checks.append(Check("database", False, err.message, err.exit_code))
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
        literal_secrets=literal,
    )


#: how far this host's clock may be from the database server's: another host's in-flight
#: create is judged by comparing its host's clock with this one's
#: (``booking_state.IN_FLIGHT_SECONDS``), and hosts each this close to the server are at
#: most twice this far apart, well inside that window
CLOCK_TOLERANCE_SECONDS = 10.0


def _clock(store: Any) -> list[Check]:
    """On a database server, this host's clock against the server's (SQLite's clock is this
    host's). A host whose clock is off judges other hosts' in-flight creates wrongly: one
    behind keeps them alive too long, one ahead can take a live create for an abandoned one."""
    import time

    from prima_cli.core.credential_ledger import clock_now

    if store.engine.dialect.name == "sqlite":
        return []
    with store.engine.connect() as conn:
        before = time.time()
        server = clock_now(conn)
        after = time.time()
    # the server read its clock somewhere between the two local readings
    skew = server - (before + after) / 2
    uncertainty = (after - before) / 2
    ok = abs(skew) - uncertainty <= CLOCK_TOLERANCE_SECONDS
    side = "behind" if skew > 0 else "ahead of"
    detail = f"this host is {abs(skew):.1f} s {side} the database server's clock"
    if not ok:
        detail += (f" (more than {CLOCK_TOLERANCE_SECONDS:.0f} s): synchronise both with NTP "
                   "(timedatectl, chrony) before running prima here")  # fmt: skip
    return [Check("clock", ok, detail)]


def _job_engine(store: Any) -> list[Check]:
    """On PostgreSQL with the ``workers`` extra: the engine's tables, as new as the engine."""
    from prima_cli.store import job_schema

    if store.engine.dialect.name != "postgresql" or not job_schema.engine_installed():
        return []
    with store.engine.connect() as conn:
        found = job_schema.applied_state(conn)
    installed = job_schema.shown(job_schema.installed_version())
    if found is None:
        return [Check("job engine", False, f"procrastinate {installed} is installed but its "
                      "tables are not in this database: run `prima db migrate`")]  # fmt: skip
    if not found.current:
        return [Check("job engine", False, f"{len(found.pending)} migration script(s) of "
                      f"procrastinate {installed} to apply: stop every worker, run `prima db "
                      "migrate`, start them again")]  # fmt: skip
    return [Check("job engine", True, f"tables of procrastinate {installed}")]


def _health(
    store: Any, max_sync_age: dt.timedelta | None, max_attention: int | None
) -> list[Check]:
    from prima_cli.core import health
    from prima_cli.store.types import utcnow

    if max_sync_age is None and max_attention is None:
        return []
    found = health.evaluate(health.read_facts(store), now=utcnow(), max_sync_age=max_sync_age,
                            max_attention=max_attention)  # fmt: skip
    return [Check(c.name, c.ok, c.detail, ExitCode.UNHEALTHY) for c in found]


def _secrets(
    store: Any, adapters: dict[str, Any], secrets: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Connections whose secret references do not resolve now (with why), and those whose
    secrets are stored literally in the database."""
    from sqlmodel import col, select

    from prima_cli.store.models import Venue, VenuePlatform

    unresolved, literal = [], []
    with store.session() as session:
        rows = session.exec(
            select(VenuePlatform, Venue).join(Venue, col(Venue.id) == col(VenuePlatform.venue_id))
        ).all()
        for row, venue in rows:
            adapter = adapters.get(row.platform_type)
            keys = sorted(adapter.secret_fields()) if adapter else []
            config = row.configuration or {}
            where = {"venue": venue.slug, "platform_type": row.platform_type}
            missing = secrets.unresolved(config, keys)
            if missing:
                references = [config[k] for k in missing]
                problems = [secrets.problem(k, config[k]) for k in missing]
                unresolved.append(
                    {**where, "keys": missing, "references": references, "problems": problems}
                )
            stored = secrets.literal(config, keys)
            if stored:
                literal.append({**where, "keys": stored})
    return unresolved, literal
