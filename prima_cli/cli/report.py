"""`prima report`: the bookings of every platform and each platform's health, as a terminal
summary, one JSON document, or one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path

import typer

from prima_cli.cli.application import application
from prima_cli.cli.options import JSON


def report(
    ctx: typer.Context,
    date_from: str | None = typer.Option(
        None, "--from", metavar="DATE", help="First venue-local day (default: 27 days ago)."
    ),
    date_to: str | None = typer.Option(
        None, "--to", metavar="DATE", help="Last venue-local day (default: today)."
    ),
    venue: list[str] = typer.Option(
        [], "--venue", metavar="VENUE", help="Only this venue (id or slug; repeatable)."
    ),
    platform: list[str] = typer.Option(
        [], "--platform", metavar="TYPE", help="Only this platform type (repeatable)."
    ),
    json: bool = JSON,
    html: Path | None = typer.Option(
        None, "--html", metavar="FILE", help="Write the report as one offline HTML file."
    ),
) -> int:
    """Bookings, covers, statuses, placement and sync health per venue and platform."""
    from prima_cli.cli.views import report as view
    from prima_cli.core import report as core
    from prima_cli.core.report_values import ReportFilters

    app_ = application(ctx)
    filters = ReportFilters.parse(date_from, date_to, tuple(venue), tuple(platform))
    result = core.build(app_.store(), filters)
    if html is not None:
        from prima_cli.cli.views.report_html import write

        write(html, result.value)
        if not json:
            return app_.render(result, view.written(html))
    return app_.render(result, view.REPORT, json=json)
