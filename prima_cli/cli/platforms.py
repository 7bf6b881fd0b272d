"""`prima platforms ...`: platform types and the venues' connections to them."""

from __future__ import annotations

import typer

from prima_cli.cli import completers
from prima_cli.cli.application import application
from prima_cli.cli.options import JSON, OFFSET, VENUE, VENUE_FILTER, YES, group, listing
from prima_cli.cli.prompts import TerminalSecretInput, confirm
from prima_cli.cli.sync_monitor import SyncMonitor
from prima_cli.cli.sync_progress import SyncProgress
from prima_cli.cli.views import platforms as view
from prima_cli.cli.views import sync as sync_view

app = group("Connect venues to booking platforms and manage those connections.")


TYPE = typer.Argument(
    ...,
    metavar="TYPE",
    help="Platform type (see `prima platforms types`).",
    autocompletion=completers.platform_types,
)
TYPE_FILTER = typer.Option(
    None,
    "--type",
    help="Only this platform type.",
    autocompletion=completers.platform_types,
)
SET = typer.Option(
    [],
    "--set",
    metavar="KEY=VALUE",
    help="Configuration value; secrets as env:NAME, file:/path or keyring:service/name (read "
    "when used), or stored with --store-secret (- reads it from stdin) or literal:VALUE.",
)
STORE_SECRET = typer.Option(
    False,
    "--store-secret",
    help="Store secrets given on stdin, at the prompt or literally in the database.",
)


@app.command("types")
@listing
def types(
    ctx: typer.Context,
) -> int:
    """List installed platform types and their configuration fields."""
    from prima_cli.core import platform_types

    return application(ctx).render(platform_types.installed(), view.TYPES)


@app.command("add")
def add(
    ctx: typer.Context,
    venue: str = VENUE,
    platform_type: str = TYPE,
    values: list[str] = SET,
    priority: int | None = typer.Option(
        None, help="Order of use, lower first (default: after the venue's other connections)."
    ),
    disabled: bool = typer.Option(False, "--disabled", help="Save the connection disabled."),
    no_test: bool = typer.Option(
        False, "--no-test", help="Save without testing the credentials against the platform."
    ),
    store_secret: bool = STORE_SECRET,
    json: bool = JSON,
) -> int:
    """Connect a venue to a platform (credentials are tested first unless --no-test)."""
    from prima_cli.core import checks, connections

    app_ = application(ctx)
    store = app_.store()
    tester = None if no_test else checks.credential_tester(app_.http_options(), store)
    result = connections.add(
        store,
        venue,
        platform_type,
        values,
        priority=priority,
        enabled=not disabled,
        secret_input=TerminalSecretInput(app_.terminal),
        test=tester,
        store_secret=store_secret,
    )
    return app_.render(result, view.ADDED, json=json)


@app.command("list")
@listing
def list_(
    ctx: typer.Context,
    venue: str | None = VENUE_FILTER,
    platform_type: str | None = TYPE_FILTER,
    enabled: bool | None = typer.Option(
        None, "--enabled/--disabled", help="Only enabled (or only disabled) connections."
    ),
) -> int:
    """List connections."""
    from prima_cli.core import connections

    app_ = application(ctx)
    found = connections.list_connections(
        app_.store(), venue_ref=venue, platform_type=platform_type, enabled=enabled
    )
    return app_.render(found, view.CONNECTIONS)


@app.command("show")
def show(
    ctx: typer.Context, venue: str = VENUE, platform_type: str = TYPE, json: bool = JSON
) -> int:
    """Show one connection (secrets masked)."""
    from prima_cli.core import connections

    app_ = application(ctx)
    return app_.render(connections.show(app_.store(), venue, platform_type), view.CONNECTION,
                       json=json)  # fmt: skip


@app.command("edit")
def edit(
    ctx: typer.Context,
    venue: str = VENUE,
    platform_type: str = TYPE,
    values: list[str] = SET,
    unset: list[str] = typer.Option([], "--unset", metavar="KEY", help="Remove a value."),
    priority: int | None = typer.Option(None, help="New priority (lower first)."),
    store_secret: bool = STORE_SECRET,
    force: bool = typer.Option(
        False,
        "--force",
        help="Change where its reservations are (restaurant, account, server) even while "
        "bookings made there are live.",
    ),
    json: bool = JSON,
) -> int:
    """Change a connection's configuration (merged) or priority."""
    from prima_cli.core import connections

    app_ = application(ctx)
    result = connections.edit(
        app_.store(),
        venue,
        platform_type,
        values,
        unset,
        priority=priority,
        secret_input=TerminalSecretInput(app_.terminal),
        store_secret=store_secret,
        force=force,
    )
    return app_.render(result, view.UPDATED, json=json)


@app.command("enable")
def enable(
    ctx: typer.Context, venue: str = VENUE, platform_type: str = TYPE, json: bool = JSON
) -> int:
    """Enable a connection."""
    from prima_cli.core import connections

    app_ = application(ctx)
    result = connections.set_enabled(app_.store(), venue, platform_type, True)
    return app_.render(result, view.TOGGLED, json=json)


@app.command("disable")
def disable(
    ctx: typer.Context, venue: str = VENUE, platform_type: str = TYPE, json: bool = JSON
) -> int:
    """Disable a connection (kept, but not used for bookings or sync)."""
    from prima_cli.core import connections

    app_ = application(ctx)
    result = connections.set_enabled(app_.store(), venue, platform_type, False)
    return app_.render(result, view.TOGGLED, json=json)


@app.command("remove")
def remove(
    ctx: typer.Context,
    venue: str = VENUE,
    platform_type: str = TYPE,
    yes: bool = YES,
    force: bool = typer.Option(False, "--force", help="Even with live bookings on it."),
    json: bool = JSON,
) -> int:
    """Remove a connection (refused while it holds live bookings)."""
    from prima_cli.core import connections

    app_ = application(ctx)
    store = app_.store()
    c = connections.show(store, venue, platform_type).value
    confirm(app_.terminal, f"Remove the {c.platform_type} connection of {c.venue_slug}?", yes=yes)
    removed = connections.remove(store, venue, platform_type, force=force)
    return app_.render(removed, view.REMOVED, json=json)


@app.command("test")
def test(
    ctx: typer.Context,
    venue: str | None = typer.Argument(
        None, metavar="VENUE", help="Venue id or slug.", autocompletion=completers.venues
    ),
    platform_type: str | None = typer.Argument(
        None, metavar="TYPE", help="Platform type.", autocompletion=completers.platform_types
    ),
    all_: bool = typer.Option(False, "--all", help="Test every enabled connection."),
    json: bool = JSON,
) -> int:
    """Test credentials: one connection, all of a venue, or --all enabled ones concurrently."""
    from prima_cli.core import checks

    app_ = application(ctx)
    report = checks.test_connections(
        app_.store(),
        venue_ref=venue,
        platform_type=platform_type,
        all_enabled=all_,
        http=app_.http_options(),
    )
    return app_.render(report, view.TESTED, json=json)


@app.command("sync")
def sync(
    ctx: typer.Context,
    venue: str | None = VENUE_FILTER,
    platform_type: str | None = TYPE_FILTER,
    days: int = typer.Option(7, "--days", help="Availability days, counted at each venue."),
    concurrency: int = typer.Option(10, "--concurrency", help="Connections synced at once."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be done; do nothing."),
    wait: float = typer.Option(0, "--wait", metavar="SECONDS", help="Wait for a running sync."),
    enqueue: bool = typer.Option(
        False,
        "--enqueue",
        help="Queue one sync job per connection for `prima worker run` "
        "(PostgreSQL) instead of syncing here.",
    ),
    worker: bool = typer.Option(False, "--worker", hidden=True),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print nothing when healthy; one line per problem otherwise."
    ),
    trigger: str = typer.Option(
        "manual", "--trigger", help="What started the run: manual, cron, systemd, script, monitor."
    ),
    metrics_file: str | None = typer.Option(
        None, "--metrics-file", metavar="PATH", help="Write a Prometheus textfile (.prom) here."
    ),
    ping_url: str | None = typer.Option(
        None, "--ping-url", metavar="URL", help="Ping URL/start, then URL or URL/<exit code>."
    ),
    json: bool = JSON,
) -> int:
    """Check credentials, refresh availability, reconcile, refresh statuses (for cron)."""
    from prima_cli.core import sync as core
    from prima_cli.core import triggers
    from prima_cli.core.sync_values import SyncOptions

    app_ = application(ctx)
    if worker:
        from prima_cli.errors import InvalidInput

        raise InvalidInput("--worker is gone: workers are `prima worker run` on each machine "
                           "(PostgreSQL), with `prima platforms sync --enqueue` from cron "
                           "or their own --schedule")  # fmt: skip
    options = SyncOptions(
        venues=(venue,) if venue else (), platform_type=platform_type, days=days,
        concurrency=concurrency, wait=wait,
        trigger=triggers.parse(trigger).value,
    )  # fmt: skip
    if enqueue:
        from prima_cli.cli.views.worker import ENQUEUED
        from prima_cli.core.jobs import fanout

        return app_.render(fanout.enqueue(app_.store(), options), ENQUEUED, json=json,
                           quiet=quiet)  # fmt: skip
    if dry_run:
        return app_.render(core.plan(app_.store(), options), sync_view.PLAN, json=json,
                           quiet=quiet)  # fmt: skip
    if quiet:
        from prima_cli.cli.logs import quieten

        quieten()
    monitor = SyncMonitor(app_, metrics_file, ping_url)
    with monitor.around():
        progress = SyncProgress(app_.output, quiet=quiet, json=json)
        with progress.bar() as on_outcome:
            result = core.sync(app_.store(), options, app_.http_options(), on_outcome)
        shown = sync_view.RUN_TABLE if progress.attended else sync_view.RUN_UNATTENDED
        code = app_.render(result, shown, json=json, quiet=quiet)
        progress.summary(result.value, code)  # after the table: the last line says how it went
        monitor.ended(code, sync_view.run(result.value.record))
    return code


@app.command("history")
@listing
def history(
    ctx: typer.Context,
    run_id: str | None = typer.Argument(None, metavar="RUN", help="Show this run in full."),
    limit: int = typer.Option(20, "--limit", help="How many runs to list (1-1000)."),
    offset: int = OFFSET,
    failed: bool = typer.Option(False, "--failed", help="Only runs (or results) that failed."),
    connection: str | None = typer.Option(
        None, "--connection", metavar="VENUE/TYPE", help="Only this connection, with its result."
    ),
    since: str | None = typer.Option(
        None, "--since", metavar="DURATION|DATE", help="Only runs started since (2h, 7d, a date)."
    ),
) -> int:
    """List sync runs, newest first, or show one run with every connection's outcome."""
    from prima_cli.core import sync_history
    from prima_cli.core.durations import parse_since
    from prima_cli.store.types import utcnow

    app_ = application(ctx)
    if run_id is None:
        start = parse_since(since, option="--since", now=utcnow()) if since else None
        runs = sync_history.list_runs(app_.store(), limit, offset, failed=failed,
                                      connection=connection, since=start)  # fmt: skip
        shown = sync_view.CONNECTION_HISTORY if connection else sync_view.HISTORY
        return app_.render(runs, shown)
    run = sync_history.show_run(app_.store(), run_id)
    return app_.render(run, sync_view.RUN)
