"""`prima db ...`: schema migrations."""

from __future__ import annotations

import typer

from prima_cli.cli.application import application
from prima_cli.cli.options import JSON, group
from prima_cli.cli.views import schema as view

app = group("Create and upgrade the database schema; prune old history.")


@app.command("migrate")
def migrate(ctx: typer.Context, json: bool = JSON) -> int:
    """Upgrade the schema to the newest revision (idempotent; adopts legacy exports)."""
    from prima_cli.core.result import OperationResult
    from prima_cli.store import migrate as migrations

    app_ = application(ctx)
    store = app_.store(require_schema=False, create=True)
    return app_.render(OperationResult.ok(migrations.upgrade(store)), view.MIGRATED, json=json)


@app.command("status")
def status(ctx: typer.Context, json: bool = JSON) -> int:
    """Show the current and pending schema revisions."""
    from prima_cli.core.result import OperationResult
    from prima_cli.store import migrate as migrations

    app_ = application(ctx)
    store = app_.store(require_schema=False)
    return app_.render(OperationResult.ok(migrations.status(store)), view.STATUS, json=json)


@app.command("prune")
def prune(
    ctx: typer.Context,
    older_than: str = typer.Option(
        ..., "--older-than", metavar="DURATION", help="Remove history older than this (30d, 12w)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; remove nothing."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing (for cron)."),
    json: bool = JSON,
) -> int:
    """Remove old sync runs, their results and availability snapshots (never bookings)."""
    from prima_cli.cli.views import prune as prune_view
    from prima_cli.core import prune as core
    from prima_cli.core.durations import parse_duration

    app_ = application(ctx)
    age = parse_duration(older_than, option="--older-than")
    shown = prune_view.PRUNED_QUIET if quiet and not json else prune_view.PRUNED
    return app_.render(core.prune(app_.store(), age, dry_run=dry_run), shown, json=json,
                       quiet=quiet)  # fmt: skip
