"""`prima demo`: the whole flow on the chosen store against the built-in simulator.

Demo venues are recognised by their slug prefix ``prima-demo-``; a rerun replaces them
(and only them), so other venues are never touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from prima_cli.core import availability, checks, connections, venues
from prima_cli.core.http_options import HttpOptions
from prima_cli.core.result import OperationResult

if TYPE_CHECKING:
    from prima_cli.core.report_values import Report
    from prima_cli.sandbox import Sandbox
    from prima_cli.store.store import Store

DEMO_PREFIX = "prima-demo-"
PARTY_SIZE = 2
HISTORY_DAYS = 28


@dataclass(frozen=True)
class DemoVenue:
    slug: str
    name: str
    timezone: str
    country: str
    # (platform type, sandbox restaurant slug or Restoo account) in priority order
    platforms: tuple[tuple[str, str], ...]


DEMO_VENUES = (
    DemoVenue("prima-demo-cdmx", "Demo Roma Norte", "America/Mexico_City", "MX",
              (("covermanager", "prima-sbx-cdmx"),)),
    DemoVenue("prima-demo-lisboa", "Demo Chiado", "Europe/Lisbon", "PT",
              (("restoo", "prima-sbx-lisboa"),)),
    DemoVenue("prima-demo-madrid", "Demo Madrid", "Europe/Madrid", "ES",
              (("covermanager", "prima-sbx-madrid"), ("restoo", "prima-sbx-barcelona"))),
)  # fmt: skip


@dataclass(frozen=True)
class DemoStep:
    """One step of the demo: its title, what it did (lines for people) and its data."""

    title: str
    lines: list[str]
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoRun:
    """The whole demo: the store it ran on, its schema revision and every step."""

    database: str  # the store's URL as shown (no password)
    schema: str
    steps: list[DemoStep]
    #: the report of the demo venues, their seeded month included (the demo ends with it)
    report: Report | None = None


@dataclass(frozen=True)
class _NoSecretInput:
    """The demo passes every secret as a value; nothing is ever asked."""

    def read_stdin(self, field: object) -> str:  # pragma: no cover - never called
        raise AssertionError("the demo reads nothing from stdin")

    def prompt(self, field: object) -> str:  # pragma: no cover - never called
        raise AssertionError("the demo prompts for nothing")


def _remove_previous(store: Store) -> list[str]:
    removed = []
    for venue in venues.list_all(store).value:
        if venue.slug.startswith(DEMO_PREFIX):
            venues.remove(store, str(venue.id), force=True)
            removed.append(venue.slug)
    return removed


def _settings(platform_type: str, ident: str, sandbox: Sandbox) -> list[str]:
    creds = sandbox.credentials()
    if platform_type == "covermanager":
        return [
            f"restaurant_id={ident}",
            f"api_key={creds.covermanager.api_key}",
            f"base_url={creds.covermanager.base_url}",
        ]
    return [
        f"account={ident}",
        f"api_key={creds.restoo.api_key}",
        f"partner_id={creds.restoo.partner}",
        f"base_url={creds.restoo.base_url}",
    ]


def _booking_steps(store: Store, http: HttpOptions) -> DemoStep:
    """Book a table at the venue with two platforms, show it, cancel it."""
    from prima_cli.core import bookings

    demo = DEMO_VENUES[-1]
    when = dt.datetime.now(ZoneInfo(demo.timezone)).date() + dt.timedelta(days=1)
    created = bookings.create(
        store,
        bookings.BookingInput(
            venue=demo.slug, date=when.isoformat(), time="20:30", party_size=PARTY_SIZE,
            first_name="Lucía", last_name="Fernández Ruiz", email="lucia.fernandez@gmail.com",
            phone="+34612483907", notes="demo booking", reference=f"demo-{uuid4().hex[:8]}",
        ),
        http,
    ).value.booking  # fmt: skip
    placed = created.confirmed_attempt
    shown = bookings.show(store, created.reference).value
    cancelled = bookings.cancel(store, created.reference, "CHANGED_PLANS", http).value.booking
    lines = [
        f"created {created.reference} at {demo.slug} for {when} 20:30, party of {PARTY_SIZE}: "
        f"{created.status} on {placed.platform_type if placed else '?'} "
        f"as {placed.external_id if placed else '?'} (written locally before the call)",
        f"show: {len(shown.attempts)} platform attempt(s); status {shown.status}, platform "
        f"status {placed.status if placed else '?'} (raw {placed.raw_status if placed else '?'})",
        f"cancelled {cancelled.reference} on the platform that holds it: {cancelled.status}",
    ]
    return DemoStep("Booking: create, show, cancel", lines, {"reference": created.reference})


def _sync_steps(store: Store, http: HttpOptions) -> DemoStep:
    """Sync the demo connections (and only them), then read the run back from the history."""
    from prima_cli.core import sync, sync_history

    report = sync.sync(
        store,
        sync.SyncOptions(venues=tuple(d.slug for d in DEMO_VENUES), days=3, trigger="demo"),
        http,
    ).value
    run = report.record
    c = run.counts
    lines = [
        f"sync run {run.id}: {run.status}; {c['ok']} of {c['connections']} connection(s) ok, "
        f"{c['availability_days']} availability day(s) cached, {c['reconciled']} reconciled",
    ]
    for r in run.results:
        avail = r.steps.availability.status if r.steps.availability else None
        statuses = r.steps.statuses.status if r.steps.statuses else None
        lines.append(
            f"{r.venue_slug}/{r.platform_type}: {r.status} in {r.duration_ms} ms; availability "
            f"{avail}, reservation statuses {statuses}"
        )
    recent = sync_history.list_runs(store, 3).value
    lines.append("history: " + "; ".join(f"run {x.id} {x.status} ({x.trigger})" for x in recent))
    return DemoStep("Sync and its history", lines, {"run": run.id, "status": run.status})


def _history_step(store: Store) -> DemoStep:
    """A month of past bookings and syncs for the demo venues, so that the report is full."""
    from prima_cli.core import demo_history

    seeded = demo_history.seed(store, [d.slug for d in DEMO_VENUES], days=HISTORY_DAYS)
    lines = [f"{seeded.bookings} bookings over {seeded.days} past days and the coming week "
             f"at {seeded.venues} venues, {seeded.runs} hourly sync runs "
             f"({seeded.results} connection results)"]  # fmt: skip
    return DemoStep("History: a month of bookings and syncs", lines, {"bookings": seeded.bookings})


def demo_report(store: Store) -> Report:
    """The report of the demo venues over their seeded month and the coming week."""
    from prima_cli.core import report
    from prima_cli.core.report_values import ReportFilters

    today = dt.datetime.now(dt.UTC).date()
    filters = ReportFilters(today - dt.timedelta(days=HISTORY_DAYS), today,
                            tuple(d.slug for d in DEMO_VENUES))  # fmt: skip
    return report.build(store, filters).value


def run_demo(
    store: Store, sandbox: Sandbox, http: HttpOptions, report: Callable[[DemoStep], None]
) -> list[DemoStep]:
    """Run every demo step against a started sandbox, reporting each as it completes."""
    steps: list[DemoStep] = []

    def done(step: DemoStep) -> None:
        steps.append(step)
        report(step)

    creds = sandbox.credentials()
    done(
        DemoStep(
            "Simulator",
            [
                f"CoverManager at {creds.covermanager.base_url}",
                f"Restoo at {creds.restoo.base_url}",
            ],
            {"covermanager": creds.covermanager.base_url, "restoo": creds.restoo.base_url},
        )
    )

    removed = _remove_previous(store)
    created = []
    for demo in DEMO_VENUES:
        info = venues.add(
            store, demo.name, slug=demo.slug, timezone=demo.timezone, country=demo.country
        ).value
        created.append(info.slug)
    lines = [f"{d.slug}: {d.name} ({d.timezone}, {d.country})" for d in DEMO_VENUES]
    if removed:
        lines.append(f"replaced {len(removed)} venue(s) from an earlier demo run")
    done(DemoStep("Venues", lines, {"created": created, "replaced": removed}))

    tester = checks.credential_tester(http, store)
    lines, added = [], []
    for demo in DEMO_VENUES:
        for priority, (ptype, ident) in enumerate(demo.platforms, start=1):
            added_ = connections.add(
                store,
                demo.slug,
                ptype,
                _settings(ptype, ident, sandbox),
                priority=priority,
                enabled=True,
                secret_input=_NoSecretInput(),
                test=tester,
                store_secret=True,  # the simulator's own throwaway keys
            ).value
            c = added_.connection
            lines.append(f"{demo.slug} -> {ptype} (priority {priority}): {added_.test_detail}")
            added.append({"venue": demo.slug, "platform_type": ptype, "priority": c.priority})
    done(DemoStep("Connections (credentials tested before saving)", lines, {"added": added}))

    report_ = checks.test_connections(
        store, venue_ref=None, platform_type=None, all_enabled=True, http=http
    ).value
    demo_results = [r for r in report_.results if r.venue_slug.startswith(DEMO_PREFIX)]
    done(
        DemoStep(
            "Credential test of every enabled connection",
            [
                f"{r.venue_slug}/{r.platform_type}: {'ok' if r.ok else 'FAILED'}"
                f" in {r.latency_ms} ms - {r.message}"
                for r in demo_results
            ],
            {"status": report_.status},
        )
    )

    lines, data = [], []
    for demo in DEMO_VENUES:
        tomorrow = dt.datetime.now(ZoneInfo(demo.timezone)).date() + dt.timedelta(days=1)
        answers = availability.venue_availability(
            store, demo.slug, date=tomorrow, party_size=PARTY_SIZE, http=http
        )
        for answer in answers.platforms:
            where = f"{demo.slug}/{answer.platform_type} on {tomorrow} for {PARTY_SIZE}"
            if answer.unsupported:
                lines.append(f"{where}: availability is not offered by this platform")
            elif answer.error is not None:
                lines.append(f"{where}: FAILED - {answer.error.message}")
            else:
                times = [s.time.strftime("%H:%M") for s in answer.slots]
                shown = ", ".join(times[:6]) + (" ..." if len(times) > 6 else "")
                lines.append(f"{where}: {len(times)} bookable times ({shown})")
            data.append(
                {
                    "venue": demo.slug,
                    "platform_type": answer.platform_type,
                    "date": tomorrow.isoformat(),
                    "slots": len(answer.slots),
                    "unsupported": answer.unsupported,
                    "error": answer.error.message if answer.error else None,
                }
            )
    done(
        DemoStep(
            f"Availability tomorrow (venue-local) for {PARTY_SIZE}", lines, {"availability": data}
        )
    )

    done(_booking_steps(store, http))

    done(_sync_steps(store, http))

    done(_history_step(store))

    # The simulator stops with the demo: leave its connections disabled, so that cron's sync
    # and `platforms test --all` do not report a dead local port as an outage.
    for demo in DEMO_VENUES:
        for ptype, _ident in demo.platforms:
            connections.set_enabled(store, demo.slug, ptype, False)
    done(
        DemoStep(
            "Clean-up",
            [
                "demo connections disabled (the simulator stops with the demo); "
                "a rerun on the same store replaces the demo venues"
            ],
        )
    )
    return steps


def run(
    store: Store,
    http: HttpOptions,
    simulator: Callable[[], Sandbox],
    report: Callable[[DemoStep], None],
) -> OperationResult[DemoRun]:
    """Migrate the store, start the ``simulator`` and run every demo step against it.

    ``report`` hears of each step as it completes, the migrated store first (a step of its
    own, with no lines, that the run's list of steps leaves out).
    """
    from prima_cli.store import migrate

    migrated = migrate.upgrade(store)
    report(DemoStep(f"Database {store.display_url} at {migrated.to_revision}", []))
    with simulator() as sandbox:
        steps = run_demo(store, sandbox, http, report)
    return OperationResult.ok(
        DemoRun(store.display_url, migrated.to_revision, steps, demo_report(store))
    )
