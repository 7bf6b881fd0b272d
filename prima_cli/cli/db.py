"""`prima db ...`: schema migrations."""

from __future__ import annotations

import typer

from prima_cli.cli.application import application
from prima_cli.cli.options import JSON, group
from prima_cli.cli.views import schema as view

app = group("Create and upgrade the database schema.")


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
