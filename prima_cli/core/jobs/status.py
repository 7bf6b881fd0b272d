"""`prima worker status` and `prima worker jobs`: what the engine holds, read from its
tables, and whether that is healthy (the health check of a worker deployment)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prima_cli.core.result import OperationResult
from prima_cli.errors import ExitCode, InvalidInput

if TYPE_CHECKING:
    from prima_cli.store.store import Store


@dataclass
class QueueCounts:
    queue: str
    queued: int = 0  # ready to run now
    scheduled: int = 0  # waiting for a later time (a retry's backoff)
    running: int = 0
    stalled: int = 0  # running on a worker whose heartbeat stopped
    failed_last_day: int = 0


@dataclass(frozen=True)
class Thresholds:
    max_wait: float = 900.0  # seconds the oldest ready job may wait
    max_failures: int = 0  # jobs failed for good in the last 24 hours
    stalled_after: float = 30.0


@dataclass(frozen=True)
class WorkerStatus:
    queues: list[QueueCounts]
    workers: int  # worker processes with a live heartbeat
    oldest_wait_s: float | None  # how long the oldest ready job has waited
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def total(self, name: str) -> int:
        return sum(getattr(q, name) for q in self.queues)


_COUNTS = """
SELECT queue_name, status::text,
       status = 'todo' AND scheduled_at IS NOT NULL AND scheduled_at > now() AS later,
       count(*)
  FROM procrastinate_jobs WHERE status IN ('todo', 'doing') GROUP BY 1, 2, 3"""
_STALLED = """
SELECT job.queue_name, count(*) FROM procrastinate_jobs job
  LEFT JOIN procrastinate_workers w ON w.id = job.worker_id
 WHERE job.status = 'doing'
   AND (w.id IS NULL OR w.last_heartbeat < now() - make_interval(secs => :after))
 GROUP BY 1"""
_FAILED = """
SELECT job.queue_name, count(DISTINCT job.id) FROM procrastinate_events ev
  JOIN procrastinate_jobs job ON job.id = ev.job_id
 WHERE ev.type = 'failed' AND ev.at > now() - interval '1 day' AND job.status = 'failed'
 GROUP BY 1"""
_OLDEST = """
SELECT EXTRACT(EPOCH FROM now() - min(COALESCE(job.scheduled_at, ev.at)))
  FROM procrastinate_jobs job
  LEFT JOIN LATERAL (SELECT max(at) AS at FROM procrastinate_events
                      WHERE job_id = job.id AND type IN ('deferred', 'retried')) ev ON true
 WHERE job.status = 'todo' AND (job.scheduled_at IS NULL OR job.scheduled_at <= now())"""
_WORKERS = """
SELECT count(*) FROM procrastinate_workers
 WHERE last_heartbeat >= now() - make_interval(secs => :after)"""


def status(store: Store, limits: Thresholds) -> OperationResult[WorkerStatus]:
    """Jobs by queue and state; exit 11 (unhealthy) when a limit is passed."""
    import sqlalchemy as sa

    from prima_cli.core.jobs.engine import require_workers
    from prima_cli.core.jobs.names import QUEUES

    require_workers(store)
    if limits.max_wait < 0 or limits.max_failures < 0:
        raise InvalidInput("--max-wait and --max-failures must be >= 0")
    queues = {q: QueueCounts(q) for q in QUEUES}
    with store.engine.connect() as conn:
        for queue, state, later, n in conn.execute(sa.text(_COUNTS)):
            counts = queues.setdefault(queue, QueueCounts(queue))
            if state == "doing":
                counts.running += n
            elif later:
                counts.scheduled += n
            else:
                counts.queued += n
        after = {"after": limits.stalled_after}
        for queue, n in conn.execute(sa.text(_STALLED), after):
            queues.setdefault(queue, QueueCounts(queue)).stalled = n
        for queue, n in conn.execute(sa.text(_FAILED)):
            queues.setdefault(queue, QueueCounts(queue)).failed_last_day = n
        oldest = conn.execute(sa.text(_OLDEST)).scalar()
        workers = int(conn.execute(sa.text(_WORKERS), after).scalar() or 0)
    report = WorkerStatus(
        list(queues.values()), workers, round(float(oldest), 1) if oldest is not None else None
    )
    _judge(report, limits)
    outcome = ExitCode.OK if report.healthy else ExitCode.UNHEALTHY
    return OperationResult(report, outcome=int(outcome))


def _judge(report: WorkerStatus, limits: Thresholds) -> None:
    stalled, failed = report.total("stalled"), report.total("failed_last_day")
    if stalled:
        report.problems.append(
            f"{stalled} job(s) stalled on a dead worker: a running worker "
            "queues them again (or start one)"
        )
    wait = report.oldest_wait_s
    if wait is not None and wait > limits.max_wait:
        report.problems.append(
            f"the oldest ready job has waited {wait:.0f} s (limit "
            f"{limits.max_wait:.0f} s): too few workers, or none"
        )
    if report.total("queued") and not report.workers:
        report.problems.append("jobs are waiting and no worker is alive: start `prima worker run`")
    if failed > limits.max_failures:
        report.problems.append(
            f"{failed} job(s) failed in the last day (limit "
            f"{limits.max_failures}): see `prima worker jobs --status failed`"
        )


@dataclass(frozen=True)
class JobInfo:
    id: int
    queue: str
    task: str
    status: str
    attempts: int
    lock: str | None
    args: dict[str, Any]
    scheduled_at: dt.datetime | None
    updated_at: dt.datetime | None  # the job's latest event


_JOBS = """
SELECT job.id, job.queue_name, job.task_name, job.status::text, job.attempts, job.lock,
       job.args, job.scheduled_at, ev.at
  FROM procrastinate_jobs job
  LEFT JOIN LATERAL (SELECT max(at) AS at FROM procrastinate_events
                      WHERE job_id = job.id) ev ON true
 WHERE (CAST(:status AS text) IS NULL OR job.status::text = :status)
   AND (CAST(:queue AS text) IS NULL OR job.queue_name = :queue)
 ORDER BY job.id DESC LIMIT :limit"""

STATES = ("todo", "doing", "succeeded", "failed", "cancelled", "aborted")


def jobs(
    store: Store, *, status: str | None = None, queue: str | None = None, limit: int = 50
) -> OperationResult[list[JobInfo]]:
    """The newest jobs, newest first, optionally of one state or queue."""
    import sqlalchemy as sa

    from prima_cli.core.jobs.engine import require_workers

    if status is not None and status not in STATES:
        raise InvalidInput(f"--status must be one of {', '.join(STATES)}")
    if not 1 <= limit <= 10_000:
        raise InvalidInput("--limit must be between 1 and 10000")
    require_workers(store)
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text(_JOBS), {"status": status, "queue": queue, "limit": limit})
        found = [
            JobInfo(r[0], r[1], r[2], r[3], r[4], r[5], dict(r[6] or {}), r[7], r[8]) for r in rows
        ]
    return OperationResult.ok(found)
