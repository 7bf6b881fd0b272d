"""`prima doctor`: is this installation healthy, and (with thresholds) is the sync still
doing its job? Exit 0 when healthy; 78 broken configuration; 75 database unreachable now;
11 a health threshold crossed."""

from __future__ import annotations

import typer

from prima_cli.cli.application import application
from prima_cli.cli.options import JSON
from prima_cli.cli.views import schema as view


def doctor(
    ctx: typer.Context,
    max_sync_age: str | None = typer.Option(
        None,
        "--max-sync-age",
        metavar="DURATION",
        help="Exit 11 when an enabled connection's last successful sync is older (15m, 2h).",
    ),
    max_attention: int | None = typer.Option(
        None,
        "--max-attention",
        metavar="N",
        help="Exit 11 when more than N bookings need the operator.",
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print nothing when healthy; each failed check otherwise."
    ),
    json: bool = JSON,
) -> int:
    """Check versions, data directory, database, schema, platform types and secrets."""
    from prima_cli.core.doctor import check
    from prima_cli.core.durations import parse_duration
    from prima_cli.errors import InvalidInput

    app_ = application(ctx)
    age = parse_duration(max_sync_age, option="--max-sync-age") if max_sync_age else None
    if max_attention is not None and max_attention < 0:
        raise InvalidInput("--max-attention must be 0 or more")
    result = check(app_.db, max_sync_age=age, max_attention=max_attention)
    if quiet and not json:  # for cron: its mail is the list of what failed
        result.warnings += [f"{c.name}: {c.detail}" for c in result.value.checks if not c.ok]
        return app_.render(result, view.DOCTOR_QUIET, quiet=True)
    return app_.render(result, view.DOCTOR, json=json)
