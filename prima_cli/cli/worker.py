"""`prima worker ...`: background jobs on a PostgreSQL store (sync windows, outbox pushes)."""

from __future__ import annotations

import typer

from prima_cli.cli.application import application
from prima_cli.cli.options import JSON, group, listing
from prima_cli.cli.views import worker as view

app = group("Run and inspect background jobs (sync, outbox) on a PostgreSQL store.")


@app.command("run")
def run(
    ctx: typer.Context,
    queues: list[str] = typer.Option(
        [],
        "--queue",
        help="Only this queue (repeat); the queues are sync, outbox and maintenance.",
    ),
    concurrency: int = typer.Option(10, "--concurrency", help="Jobs at once in this process."),
    one_shot: bool = typer.Option(False, "--one-shot", help="Stop once no job is ready."),
    schedule: str = typer.Option(
        "*/5 * * * *",
        "--schedule",
        metavar="CRON",
        help="When to open a sync window ('off': never, from here).",
    ),
    days: int = typer.Option(7, "--days", help="Availability days a window's syncs refresh."),
    stalled_after: float = typer.Option(
        30.0, "--stalled-after", metavar="SECONDS", help="A worker silent this long counts as dead."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No line when it stops (cron)."),
    json: bool = JSON,
) -> int:
    """Take jobs until SIGTERM/SIGINT (running jobs end first), or until none is ready."""
    from prima_cli.core.jobs.runner import WorkerOptions, run_worker

    app_ = application(ctx)
    options = WorkerOptions(
        tuple(queues),
        concurrency,
        one_shot,
        None if schedule == "off" else schedule,
        days,
        stalled_after,
    )
    result = run_worker(app_.store(), app_.http_options(), options)
    return app_.render(result, view.WORKER_RUN, json=json, quiet=quiet)


@app.command("status")
def status(
    ctx: typer.Context,
    max_wait: float = typer.Option(
        900.0,
        "--max-wait",
        metavar="SECONDS",
        help="Unhealthy when the oldest ready job waited longer.",
    ),
    max_failures: int = typer.Option(
        0, "--max-failures", help="Unhealthy past this many failed jobs in 24 hours."
    ),
    stalled_after: float = typer.Option(
        30.0, "--stalled-after", metavar="SECONDS", help="A worker silent this long counts as dead."
    ),
    json: bool = JSON,
) -> int:
    """Jobs by queue: queued, running, stalled, failed; exit 11 when unhealthy."""
    from prima_cli.core.jobs.status import Thresholds
    from prima_cli.core.jobs.status import status as core

    app_ = application(ctx)
    result = core(app_.store(), Thresholds(max_wait, max_failures, stalled_after))
    return app_.render(result, view.STATUS, json=json)


@app.command("jobs")
@listing
def jobs(
    ctx: typer.Context,
    status: str | None = typer.Option(
        None, "--status", help="todo, doing, succeeded, failed, cancelled or aborted."
    ),
    queue: str | None = typer.Option(None, "--queue", help="Only this queue."),
    limit: int = typer.Option(50, "--limit", help="How many jobs, newest first."),
) -> int:
    """List jobs, newest first."""
    from prima_cli.core.jobs.status import jobs as core

    app_ = application(ctx)
    return app_.render(core(app_.store(), status=status, queue=queue, limit=limit), view.JOBS)


@app.command("retry")
def retry(
    ctx: typer.Context,
    job: str = typer.Argument(..., metavar="ID", help="Job id."),
    json: bool = JSON,
) -> int:
    """Queue a failed job again, now."""
    from prima_cli.core.jobs import admin

    app_ = application(ctx)
    return app_.render(admin.retry(app_.store(), job), view.CHANGED, json=json)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    job: str = typer.Argument(..., metavar="ID", help="Job id."),
    json: bool = JSON,
) -> int:
    """Cancel a queued job, or ask a running one to stop."""
    from prima_cli.core.jobs import admin

    app_ = application(ctx)
    return app_.render(admin.cancel(app_.store(), job), view.CHANGED, json=json)
