"""`prima doctor`: is this installation healthy? Exit 0 when it is, 78 otherwise."""

from __future__ import annotations

import typer

from prima_cli.cli.application import application
from prima_cli.cli.options import JSON
from prima_cli.cli.views import schema as view


def doctor(ctx: typer.Context, json: bool = JSON) -> int:
    """Check versions, data directory, database, schema, platform types and secrets."""
    from prima_cli.core.doctor import check

    app_ = application(ctx)
    return app_.render(check(app_.db), view.DOCTOR, json=json)
