"""`prima platforms ...`: platform types and the venues' connections to them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from prima_cli.cli import views
from prima_cli.cli.application import application
from prima_cli.cli.options import JSON, VENUE, YES, group
from prima_cli.cli.output import Column
from prima_cli.cli.prompts import TerminalSecretInput, confirm
from prima_cli.cli.state import current
from prima_cli.cli.views import platforms as view

app = group("Connect venues to booking platforms and manage those connections.")


def _complete_type(incomplete: str) -> list[str]:
    from prima_cli.platforms import registry

    return [name for name in registry.type_names() if name.startswith(incomplete)]


TYPE = typer.Argument(
    ...,
    metavar="TYPE",
    help="Platform type (see `prima platforms types`).",
    autocompletion=_complete_type,
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
    venue: str | None = typer.Option(None, help="Only this venue (id or slug)."),
    platform_type: str | None = typer.Option(None, "--type", help="Only this platform type."),
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
    venue: str | None = typer.Argument(None, metavar="[VENUE]", help="Venue id or slug."),
    platform_type: str | None = typer.Argument(
        None, metavar="[TYPE]", help="Platform type.", autocompletion=_complete_type
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
    venue: str | None = typer.Option(None, "--venue", help="Only this venue."),
    platform_type: str | None = typer.Option(None, "--type", help="Only this platform type."),
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
) -> None:
    """Check credentials, refresh availability, reconcile, refresh statuses (for cron)."""
    from prima_cli.core import sync as core

    state = current()
    out = state.use_json(json, quiet=quiet)
    terminal = state.terminal
    options = core.SyncOptions(
        venues=(venue,) if venue else (), platform_type=platform_type, days=days,
        concurrency=concurrency, dry_run=dry_run, wait=wait, worker=worker, window=window,
        lease=lease,
        trigger="manual" if terminal.stdin_tty else "cron",
    )  # fmt: skip
    show_progress = terminal.stderr_tty and not quiet and not json and not dry_run
    with _progress(show_progress) as progress:
        report = core.sync(state.store(), options, state.http_options(), progress)
    if report.status == "dry_run":
        if json:
            out.json({"status": "dry_run", "planned": report.planned})
        else:
            out.table((Column("venue", "Venue"), Column("platform_type", "Type"),
                       Column("problem", "Problem")), report.planned,
                      empty="no enabled connections to sync")  # fmt: skip
            out.info(f"dry run: {len(report.planned)} connection(s) would be synced")
        return
    run = core.summarise(report.outcomes)
    line = (f"sync run {report.run_id}: {report.status}; {run['ok']} ok, {run['failed']} failed "
            f"of {run['connections']} connection(s); {run['availability_days']} availability "
            f"day(s), {run['reconciled']} reconciled, {run['pushed']} pushed, "
            f"{run['statuses_changed']} status change(s)")  # fmt: skip
    if run["attention"]:
        line += (f"; {run['attention']} booking(s) need the operator "
                 "(see `prima bookings reconcile`)")  # fmt: skip
    if json:
        if report.run_id is None:
            out.json({"id": None, "status": report.status, "results": []})
        else:  # the stored record: the same document `platforms history RUN --json` prints
            from prima_cli.core import sync_history

            stored = sync_history.show_run(state.store(), str(report.run_id))
            out.json(views.sync_run(stored, stored.results))
    elif terminal.stdout_tty and not quiet:  # the table shows each failure
        out.table(views.SYNC_RESULT_COLUMNS, [views.sync_result_row(o) for o in report.outcomes],
                  empty="no enabled connections to sync")  # fmt: skip
        out.summary(line)
    else:  # unattended: one warning per failed connection, then the summary
        for o in report.outcomes:
            if o.error is not None:
                out.warn(f"{o.venue_slug}/{o.platform_type}: {o.error.message}")
            if manual := o.steps.get("reconcile", {}).get("manual", 0):
                out.warn(f"{o.venue_slug}/{o.platform_type}: {manual} booking(s) whose outcome "
                         "on the platform is unknown need the operator")  # fmt: skip
        out.summary(line)
    raise typer.Exit(report.exit_code)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int, Any], None] | None]:
    """A Rich progress bar on stderr, only when a person watches a terminal."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(file=current().terminal.stderr), transient=True) as bar:
        task = bar.add_task("syncing", total=None)

        def update(done: int, total: int, outcome: Any) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command("history")
def history(
    run_id: str | None = typer.Argument(None, metavar="[RUN]", help="Show this run in full."),
    limit: int = typer.Option(20, "--limit", help="How many runs to list."),
    json: bool = JSON,
) -> None:
    """List sync runs, newest first, or show one run with every connection's outcome."""
    from prima_cli.core import sync_history

    state = current()
    out = state.use_json(json)
    if run_id is None:
        runs = sync_history.list_runs(state.store(), limit)
        if json:
            out.json([views.sync_run(r, []) for r in runs])
        else:
            out.table(views.RUN_COLUMNS, [views.run_row(r) for r in runs], empty="no sync runs")
        return
    run = sync_history.show_run(state.store(), run_id)
    if json:
        out.json(views.sync_run(run, run.results))
        return
    out.record([(k, v) for k, v in views.run_row(run).items()] + [("counts", run.counts)])
    out.table(views.SYNC_RESULT_COLUMNS, [views.sync_result_row(r) for r in run.results])
