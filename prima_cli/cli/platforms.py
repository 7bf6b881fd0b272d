"""`prima platforms ...`: platform types and the venues' connections to them."""

from __future__ import annotations

import typer

from prima_cli.cli import completers
from prima_cli.cli.application import application
from prima_cli.cli.options import JSON, VENUE, VENUE_FILTER, YES, group
from prima_cli.cli.prompts import TerminalSecretInput, confirm
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
    help="Configuration value; for secrets use env:NAME (read when used) or - (stdin).",
)


@app.command("types")
def types(ctx: typer.Context, json: bool = JSON) -> int:
    """List installed platform types and their configuration fields."""
    from prima_cli.core import platform_types

    return application(ctx).render(platform_types.installed(), view.TYPES, json=json)


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
    json: bool = JSON,
) -> int:
    """Connect a venue to a platform (credentials are tested first unless --no-test)."""
    from prima_cli.core import checks, connections

    app_ = application(ctx)
    tester = None if no_test else checks.credential_tester(app_.http_options())
    result = connections.add(
        app_.store(),
        venue,
        platform_type,
        values,
        priority=priority,
        enabled=not disabled,
        secret_input=TerminalSecretInput(app_.terminal),
        test=tester,
    )
    return app_.render(result, view.ADDED, json=json)


@app.command("list")
def list_(
    ctx: typer.Context,
    venue: str | None = VENUE_FILTER,
    platform_type: str | None = TYPE_FILTER,
    enabled: bool | None = typer.Option(
        None, "--enabled/--disabled", help="Only enabled (or only disabled) connections."
    ),
    json: bool = JSON,
) -> int:
    """List connections."""
    from prima_cli.core import connections

    app_ = application(ctx)
    found = connections.list_connections(
        app_.store(), venue_ref=venue, platform_type=platform_type, enabled=enabled
    )
    return app_.render(found, view.CONNECTIONS, json=json)


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
    worker: bool = typer.Option(
        False, "--worker", help="Claim connections with leases (several machines at once)."
    ),
    window: int = typer.Option(
        300, "--window", help="--worker: sync each connection once per this many seconds."
    ),
    lease: int = typer.Option(300, "--lease", help="--worker: seconds a claim outlives a crash."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress; one summary line."),
    json: bool = JSON,
) -> int:
    """Check credentials, refresh availability, reconcile, refresh statuses (for cron)."""
    from prima_cli.core import sync as core
    from prima_cli.core.sync_values import SyncOptions

    app_ = application(ctx)
    options = SyncOptions(
        venues=(venue,) if venue else (), platform_type=platform_type, days=days,
        concurrency=concurrency, wait=wait, worker=worker, window=window, lease=lease,
        trigger="manual" if app_.terminal.stdin_tty else "cron",
    )  # fmt: skip
    if dry_run:
        return app_.render(core.plan(app_.store(), options), sync_view.PLAN, json=json,
                           quiet=quiet)  # fmt: skip
    progress = SyncProgress(app_.output, quiet=quiet, json=json)
    with progress.bar() as on_outcome:
        result = core.sync(app_.store(), options, app_.http_options(), on_outcome)
    shown = sync_view.RUN_TABLE if progress.attended else sync_view.RUN_UNATTENDED
    code = app_.render(result, shown, json=json, quiet=quiet)
    progress.summary(result.value)  # after the table: the last line says how the run went
    return code


@app.command("history")
def history(
    ctx: typer.Context,
    run_id: str | None = typer.Argument(None, metavar="RUN", help="Show this run in full."),
    limit: int = typer.Option(20, "--limit", help="How many runs to list."),
    json: bool = JSON,
) -> int:
    """List sync runs, newest first, or show one run with every connection's outcome."""
    from prima_cli.core import sync_history

    app_ = application(ctx)
    if run_id is None:
        runs = sync_history.list_runs(app_.store(), limit)
        return app_.render(runs, sync_view.HISTORY, json=json)
    return app_.render(sync_history.show_run(app_.store(), run_id), sync_view.RUN, json=json)
