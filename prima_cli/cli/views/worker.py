"""How the worker commands look: a window queued, a worker's report, the status of the
queues, the jobs, and a job retried or cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prima_cli.cli.output import Column
from prima_cli.cli.render import View

if TYPE_CHECKING:
    from prima_cli.core.jobs.admin import JobChange
    from prima_cli.core.jobs.fanout import Window
    from prima_cli.core.jobs.runner import WorkerReport
    from prima_cli.core.jobs.status import JobInfo, WorkerStatus


def _window(w: Window) -> dict[str, Any]:
    return {"run_id": w.run_id, "queued": w.queued, "skipped": w.skipped}


def _window_line(w: Window) -> str:
    skipped = f", skipped {len(w.skipped)} still queued from an earlier window" if w.skipped else ""
    return (
        f"run {w.run_id}: queued {len(w.queued)} connection sync(s){skipped}; "
        "`prima worker run` takes them"
    )


ENQUEUED: View[Window] = View(json=_window, message=_window_line)


def _report(r: WorkerReport) -> dict[str, Any]:
    return {
        "worker": r.name,
        "queues": r.queues,
        "one_shot": r.one_shot,
        "recovered": r.recovered,
        "jobs": r.jobs,
    }


def _report_line(r: WorkerReport) -> str:
    done = ", ".join(f"{n} {task.removeprefix('prima.')}" for task, n in r.jobs.items())
    recovered = f"; queued {r.recovered} stalled job(s) again" if r.recovered else ""
    return f"worker {r.name} stopped after {done or 'no jobs'}{recovered}"


WORKER_RUN: View[WorkerReport] = View(json=_report, message=_report_line)

QUEUE_COLUMNS = (
    Column("queue", "Queue"),
    Column("queued", "Queued", "right"),
    Column("scheduled", "Retry later", "right"),
    Column("running", "Running", "right"),
    Column("stalled", "Stalled", "right"),
    Column("failed_last_day", "Failed (24 h)", "right"),
)


def _queue(q: Any) -> dict[str, Any]:
    return {
        "queue": q.queue,
        "queued": q.queued,
        "scheduled": q.scheduled,
        "running": q.running,
        "stalled": q.stalled,
        "failed_last_day": q.failed_last_day,
    }


def _status(s: WorkerStatus) -> dict[str, Any]:
    return {
        "healthy": s.healthy,
        "problems": s.problems,
        "workers": s.workers,
        "oldest_wait_seconds": s.oldest_wait_s,
        "queues": [_queue(q) for q in s.queues],
    }


def _status_note(s: WorkerStatus) -> str:
    wait = f"{s.oldest_wait_s:.0f} s" if s.oldest_wait_s is not None else "none waiting"
    head = f"{s.workers} worker(s) alive; oldest ready job: {wait}"
    return "\n".join([head, *(f"unhealthy: {p}" for p in s.problems)])


STATUS: View[WorkerStatus] = View(
    json=_status,
    document=_status,
    columns=QUEUE_COLUMNS,
    items=lambda s: s.queues,
    row=_queue,
    note=_status_note,
)

JOB_COLUMNS = (
    Column("id", "Job", "right"),
    Column("queue", "Queue"),
    Column("task", "Task"),
    Column("status", "Status"),
    Column("attempts", "Attempts", "right"),
    Column("args", "Arguments"),
    Column("updated_at", "Last event"),
)


def _job(j: JobInfo) -> dict[str, Any]:
    return {
        "id": j.id,
        "queue": j.queue,
        "task": j.task,
        "status": j.status,
        "attempts": j.attempts,
        "lock": j.lock,
        "args": j.args,
        "scheduled_at": j.scheduled_at,
        "updated_at": j.updated_at,
    }


def _job_row(j: JobInfo) -> dict[str, Any]:
    return {
        **_job(j),
        "task": j.task.removeprefix("prima."),
        "args": " ".join(f"{k}={v}" for k, v in j.args.items()),
    }


JOBS: View[list[JobInfo]] = View(json=_job, columns=JOB_COLUMNS, row=_job_row, empty="no jobs")


def _change(c: JobChange) -> dict[str, Any]:
    return {"id": c.id, "task": c.task, "before": c.before, "after": c.after}


CHANGED: View[JobChange] = View(
    json=_change, message=lambda c: f"job {c.id} ({c.task}): {c.before} -> {c.after}"
)
